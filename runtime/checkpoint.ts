// Checkpoints: everything a run needs to continue exactly where it stopped. A checkpoint is a
// folder — `model.safetensors` (parameters and buffers, PyTorch state_dict names),
// `optimizer.safetensors` (optimizer state, `<param>.<slot>`), `state.json` (epoch, step,
// history, run-control memory) and netspec's marker. Data order and dropout masks derive from
// (seed, epoch/step), so they need no saving.
//
// A write is recoverable at every instant: the new folder is written whole as `<dir>.tmp-PID`,
// the old one renamed to `<dir>.old-PID`, the new one renamed into place, the old one removed.
// Wherever a kill stops this, one of the three names holds a complete checkpoint, and
// `findCheckpoint` takes the newest complete one; `tidyCheckpoints` puts it back in place and
// removes the leftovers before the next run writes there.
import { existsSync, mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { stateProblem } from './checkpoint-schema.js';
import { errnoOf, FileError, readFile, readText } from './files.js';
import { CHECKPOINT_MARKER, checkCheckpointFolder, mark, owns, removeOwned } from './ownership.js';
import type { StepLog } from './step-log.js';
import type { NamedTensor } from './weights.js';
import { decodeSafetensors, encodeSafetensors } from './weights.js';
import { CODES } from '../compiler/index.js';
import { UserError } from './errors.js';

export interface CheckpointState {
  format: 'netspec-checkpoint';
  version: 1;
  recipe: string;
  /** Epochs completed. */
  epoch: number;
  /** Optimizer steps taken. */
  step: number;
  history: unknown[];
  /** SHA-256 of each tensor file, so a corrupt or truncated checkpoint is refused. */
  checksums?: Record<string, string>;
  /** Steps taken by the end of each epoch in `history`. */
  stepsAtEpoch: number[];
  /** Every step's loss and learning rate so far, for the report (absent in older checkpoints). */
  steps?: StepLog;
  control: unknown;
}

export interface Checkpoint {
  weights: Map<string, NamedTensor>;
  optimizer: Map<string, NamedTensor>;
  state: CheckpointState;
  /** The folder it was read from. */
  dir?: string;
}

/** A checkpoint folder's files, `state.json` first: without it the folder is not whole. */
const FILES = ['state.json', 'model.safetensors', 'optimizer.safetensors'];

const temporaries = (dir: string) => ({
  temporary: `${dir}.tmp-${process.pid}`,
  previous: `${dir}.old-${process.pid}`,
});

/**
 * Writes a checkpoint folder whole, then renames it into place. When anything fails (a full
 * disk, a folder that cannot be written), the partial folder is removed, the previous
 * checkpoint at `dir` is left as it was, and a UserError (NS4003) says so. A folder at `dir` that
 * netspec did not write is never replaced.
 */
export function writeCheckpoint(dir: string, checkpoint: Checkpoint): void {
  const { temporary, previous } = temporaries(dir);
  let moved = false;
  try {
    checkCheckpointFolder(dir);
    mkdirSync(dirname(dir), { recursive: true });
    removeOwned(temporary, CHECKPOINT_MARKER, FILES);
    mkdirSync(temporary);
    mark(temporary, CHECKPOINT_MARKER);
    const metadata = { recipe: checkpoint.state.recipe, epoch: String(checkpoint.state.epoch) };
    const files = {
      'model.safetensors': encodeSafetensors(checkpoint.weights, metadata),
      'optimizer.safetensors': encodeSafetensors(checkpoint.optimizer, metadata),
    };
    const checksums: Record<string, string> = {};
    for (const [name, bytes] of Object.entries(files)) {
      writeFileSync(join(temporary, name), bytes);
      checksums[name] = sha256(bytes);
    }
    const state = { ...checkpoint.state, checksums };
    writeFileSync(join(temporary, 'state.json'), JSON.stringify(state, null, 1));
    if (existsSync(dir)) {
      renameSync(dir, previous);
      moved = true;
    }
    renameSync(temporary, dir);
    moved = false;
  } catch (e) {
    removeOwned(temporary, CHECKPOINT_MARKER, FILES);
    if (moved) renameSync(previous, dir);
    // A folder netspec did not make says so in its own words.
    if (e instanceof UserError) throw e;
    const code = errnoOf(e);
    if (!code) throw new UserError(CODES.checkpoint, (e as Error).message);
    const kept = existsSync(join(dir, 'state.json'))
      ? '; the previous checkpoint there is intact'
      : '';
    throw new UserError(CODES.checkpoint, `${dir}: cannot write the checkpoint (${code})${kept}`);
  }
  removeOwned(previous, CHECKPOINT_MARKER, FILES);
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Reads and verifies a checkpoint folder; a UserError (NS4003) says what is wrong with it. */
export function readCheckpoint(dir: string): Checkpoint {
  const statePath = join(dir, 'state.json');
  if (!existsSync(statePath))
    throw new UserError(CODES.checkpoint, `${dir}: not a checkpoint (no state.json)`);
  const state = readState(statePath);
  for (const [name, expected] of Object.entries(state.checksums ?? {})) {
    const file = join(dir, name);
    if (!FILES.includes(name) || sha256(readPart(file)) !== expected)
      throw new UserError(
        CODES.checkpoint,
        `${file}: corrupt or truncated (checksum mismatch); not loaded`,
      );
  }
  const tensors = (name: string) => {
    const file = join(dir, name);
    try {
      return decodeSafetensors(readPart(file), file);
    } catch (e) {
      throw new UserError(CODES.checkpoint, `${(e as Error).message}; not loaded`);
    }
  };
  return {
    weights: tensors('model.safetensors'),
    optimizer: tensors('optimizer.safetensors'),
    state,
  };
}

function readState(path: string): CheckpointState {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readText(path, 'checkpoint'));
  } catch (e) {
    if (e instanceof FileError) throw new UserError(CODES.checkpoint, `${e.message}; not loaded`);
    throw new UserError(CODES.checkpoint, `${path}: corrupt (not JSON); not loaded`);
  }
  if ((parsed as CheckpointState)?.format !== 'netspec-checkpoint')
    throw new UserError(CODES.checkpoint, `${path}: not a netspec checkpoint`);
  const problem = stateProblem(parsed);
  if (problem) throw new UserError(CODES.checkpoint, `${path}: corrupt (${problem}); not loaded`);
  return parsed as CheckpointState;
}

function readPart(path: string): Buffer {
  try {
    return readFile(path, 'weights');
  } catch (e) {
    if (e instanceof FileError) throw new UserError(CODES.checkpoint, `${e.message}; not loaded`);
    throw e;
  }
}

/** `last`, `last.tmp-123`, `last.old-123`: where a checkpoint named `base` may be. */
function copiesOf(parent: string, base: string): string[] {
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return [];
  }
  const copy = new RegExp(`^${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\.(tmp|old)-\\d+)?$`);
  // The folder itself first, then a new copy before an old one: the order among equal steps.
  const rank = (name: string) => (name === base ? 0 : name.includes('.tmp-') ? 1 : 2);
  return names.filter((n) => copy.test(n)).sort((a, b) => rank(a) - rank(b));
}

export interface FoundCheckpoint {
  dir: string;
  checkpoint: Checkpoint;
}

/**
 * The newest complete copy of the checkpoint `dir` (a folder such as `…/checkpoints/last`),
 * wherever an interrupted write left it; undefined when there is none. When the folder itself
 * exists but is not whole and no copy is, its problem is thrown.
 */
export function findCheckpoint(dir: string): FoundCheckpoint | undefined {
  let newest: FoundCheckpoint | undefined;
  let problem: UserError | undefined;
  for (const name of copiesOf(dirname(dir), basename(dir))) {
    const path = join(dirname(dir), name);
    try {
      const checkpoint = readCheckpoint(path);
      if (!newest || checkpoint.state.step > newest.checkpoint.state.step)
        newest = { dir: path, checkpoint };
    } catch (e) {
      if (!(e instanceof UserError && e.code === CODES.checkpoint)) throw e;
      if (name === basename(dir)) problem = e;
    }
  }
  if (!newest && problem) throw problem;
  return newest;
}

/**
 * Before a run writes checkpoints into `parent`: for each of `last` and `best`, the newest
 * complete copy an interrupted write left is renamed into place, and the other copies netspec
 * wrote are removed. Copies another running process is writing, and folders without netspec's
 * marker, are left alone.
 */
export function tidyCheckpoints(parent: string): void {
  for (const base of ['last', 'best']) {
    const dir = join(parent, base);
    const stale = copiesOf(parent, base)
      .filter((name) => name !== base && !alive(Number(name.split('-').pop())))
      .map((name) => join(parent, name));
    if (stale.length === 0) continue;
    const newest = newestOrNone(dir);
    if (newest && newest.dir !== dir && owns(newest.dir, CHECKPOINT_MARKER)) {
      if (existsSync(dir)) {
        if (!owns(dir, CHECKPOINT_MARKER)) continue;
        removeOwned(dir, CHECKPOINT_MARKER, FILES);
      }
      renameSync(newest.dir, dir);
    }
    for (const path of stale) if (path !== newest?.dir) removeOwned(path, CHECKPOINT_MARKER, FILES);
  }
}

/** The newest whole copy, or none when no copy is whole (a new run does not need one). */
function newestOrNone(dir: string): FoundCheckpoint | undefined {
  try {
    return findCheckpoint(dir);
  } catch (e) {
    if (e instanceof UserError && e.code === CODES.checkpoint) return undefined;
    throw e;
  }
}

/**
 * The checkpoint folder a `--resume` argument names: a run folder (`…/checkpoints/last`), a
 * folder of checkpoints (`…/last`), or a checkpoint folder itself, present or not (an
 * interrupted write may have left only its copies).
 */
export function checkpointNamedBy(path: string): string {
  if (existsSync(join(path, 'checkpoints'))) return join(path, 'checkpoints', 'last');
  if (copiesOf(path, 'last').length > 0) return join(path, 'last');
  return path;
}

/** Whether process `pid` is running (a copy it is writing is not stale). */
function alive(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
