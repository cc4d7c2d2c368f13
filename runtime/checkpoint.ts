// Checkpoints: everything a run needs to continue exactly where it stopped. A checkpoint is a
// folder — `model.safetensors` (parameters and buffers, PyTorch state_dict names),
// `optimizer.safetensors` (optimizer state, `<param>.<slot>`), `state.json` (epoch, step,
// history, run-control memory). Data order and dropout masks derive from (seed, epoch/step), so
// they need no saving. Folders are written whole and renamed into place: never half-written.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { NamedTensor } from './weights.js';
import { encodeSafetensors, readSafetensors } from './weights.js';

export interface CheckpointState {
  format: 'netspec-checkpoint';
  version: 1;
  recipe: string;
  /** Epochs completed. */
  epoch: number;
  /** Optimizer steps taken. */
  step: number;
  history: unknown[];
  /** Steps taken by the end of each epoch in `history`. */
  stepsAtEpoch: number[];
  control: unknown;
}

export interface Checkpoint {
  weights: Map<string, NamedTensor>;
  optimizer: Map<string, NamedTensor>;
  state: CheckpointState;
}

export function writeCheckpoint(dir: string, checkpoint: Checkpoint): void {
  mkdirSync(dirname(dir), { recursive: true });
  const temporary = `${dir}.tmp-${process.pid}`;
  rmSync(temporary, { recursive: true, force: true });
  mkdirSync(temporary);
  const metadata = { recipe: checkpoint.state.recipe, epoch: String(checkpoint.state.epoch) };
  writeFileSync(
    join(temporary, 'model.safetensors'),
    encodeSafetensors(checkpoint.weights, metadata),
  );
  writeFileSync(
    join(temporary, 'optimizer.safetensors'),
    encodeSafetensors(checkpoint.optimizer, metadata),
  );
  writeFileSync(join(temporary, 'state.json'), JSON.stringify(checkpoint.state, null, 1));
  const previous = `${dir}.old-${process.pid}`;
  if (existsSync(dir)) renameSync(dir, previous);
  renameSync(temporary, dir);
  rmSync(previous, { recursive: true, force: true });
}

export class CheckpointError extends Error {}

export function readCheckpoint(dir: string): Checkpoint {
  const state = join(dir, 'state.json');
  if (!existsSync(state)) throw new CheckpointError(`${dir}: not a checkpoint (no state.json)`);
  const parsed = JSON.parse(readFileSync(state, 'utf8')) as CheckpointState;
  if (parsed.format !== 'netspec-checkpoint')
    throw new CheckpointError(`${state}: not a netspec checkpoint`);
  return {
    weights: readSafetensors(join(dir, 'model.safetensors')),
    optimizer: readSafetensors(join(dir, 'optimizer.safetensors')),
    state: parsed,
  };
}
