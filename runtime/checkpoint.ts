// Checkpoints: everything a run needs to continue exactly where it stopped. A checkpoint is a
// folder — `model.safetensors` (parameters and buffers, PyTorch state_dict names),
// `optimizer.safetensors` (optimizer state, `<param>.<slot>`), `state.json` (epoch, step,
// history, run-control memory). Data order and dropout masks derive from (seed, epoch/step), so
// they need no saving. Folders are written whole and renamed into place: never half-written.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { StepLog } from './step-log.js';
import type { NamedTensor } from './weights.js';
import { encodeSafetensors, readSafetensors } from './weights.js';
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

/**
 * Writes a checkpoint folder whole, then renames it into place. When anything fails (a full
 * disk, a folder that cannot be written), the partial folder is removed, the previous
 * checkpoint at `dir` is left as it was, and a UserError (NS4003) says so.
 */
export function writeCheckpoint(dir: string, checkpoint: Checkpoint): void {
  const temporary = `${dir}.tmp-${process.pid}`;
  const previous = `${dir}.old-${process.pid}`;
  let moved = false;
  try {
    mkdirSync(dirname(dir), { recursive: true });
    rmSync(temporary, { recursive: true, force: true });
    mkdirSync(temporary);
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
    rmSync(temporary, { recursive: true, force: true });
    if (moved) renameSync(previous, dir);
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    const kept = existsSync(join(dir, 'state.json'))
      ? '; the previous checkpoint there is intact'
      : '';
    throw new UserError(CODES.checkpoint, `${dir}: cannot write the checkpoint (${code})${kept}`);
  }
  rmSync(previous, { recursive: true, force: true });
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function readCheckpoint(dir: string): Checkpoint {
  const state = join(dir, 'state.json');
  if (!existsSync(state))
    throw new UserError(CODES.checkpoint, `${dir}: not a checkpoint (no state.json)`);
  let parsed: CheckpointState;
  try {
    parsed = JSON.parse(readFileSync(state, 'utf8')) as CheckpointState;
  } catch {
    throw new UserError(CODES.checkpoint, `${state}: corrupt (not JSON); not loaded`);
  }
  if (parsed.format !== 'netspec-checkpoint') {
    throw new UserError(CODES.checkpoint, `${state}: not a netspec checkpoint`);
  }
  for (const [name, expected] of Object.entries(parsed.checksums ?? {})) {
    const file = join(dir, name);
    if (!existsSync(file) || sha256(readFileSync(file)) !== expected) {
      throw new UserError(
        CODES.checkpoint,
        `${file}: corrupt or truncated (checksum mismatch); not loaded`,
      );
    }
  }
  return {
    weights: readSafetensors(join(dir, 'model.safetensors')),
    optimizer: readSafetensors(join(dir, 'optimizer.safetensors')),
    state: parsed,
    dir,
  };
}
