// A GPU that fails mid-run, said in the user's terms: out of memory (naming the batch size and
// what the step asks for) or lost (a driver reset, an unplugged or crashed GPU). Either way
// nothing more is written, so the last checkpoint is the one that was there, and `--resume`
// continues from it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StepMemory } from '../compiler/index.js';
import { bytesAt, CODES } from '../compiler/index.js';
import { StepError } from './device-steps.js';
import { UserError } from './errors.js';

export interface FailureContext {
  batch: number;
  /** Steps done, and the epoch of the step that failed. */
  step: number;
  epoch: number;
  memory: StepMemory;
  /** Where checkpoints go, and the step of the last one written this run. */
  checkpoints?: string;
  written?: number;
}

/** onnxruntime's and Dawn's words for a device that ran out of memory, or refused a buffer. */
const OUT_OF_MEMORY =
  /OUT_OF_(DEVICE|HOST)_MEMORY|out of memory|exceeds the max buffer size|Invalid Buffer|Failed to allocate/i;
const LOST = /device (was |is )?lost|DeviceLost/i;

const MIB = 1024 * 1024;
const size = (bytes: number) =>
  bytes >= 1024 * MIB
    ? `${(bytes / 1024 / MIB).toFixed(2)} GiB`
    : `${(bytes / MIB).toFixed(1)} MiB`;

/** The step of the checkpoint in `dir`/last, if there is one. */
function checkpointStep(dir: string): number | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'last', 'state.json'), 'utf8')).step;
  } catch {
    return undefined;
  }
}

function resumeNote(c: FailureContext): string {
  if (!c.checkpoints) return 'no checkpoints are kept for this run';
  const step = c.written ?? checkpointStep(c.checkpoints);
  if (step === undefined) return 'no checkpoint had been written';
  const when =
    c.written === undefined ? `of step ${step}, from before this run` : `of step ${step}`;
  return `the last checkpoint (${when}) in ${c.checkpoints}/last is intact: continue with --resume ${c.checkpoints}/last`;
}

function memoryNote(c: FailureContext): string {
  const { memory, batch } = c;
  const total = size(bytesAt(memory, batch));
  const parts = `${size(memory.fixed)} fixed (weights, optimizer state), ${size(memory.perExample)} per example`;
  const largest = memory.largest;
  const top = largest
    ? `; its largest tensor, ${largest.name} [${largest.shape.map((d) => (d === 'N' ? batch : d)).join(', ')}], is ${size(bytesAt(largest, batch))}`
    : '';
  return `at batch size ${batch} the train step asks for up to ${total} (${parts}${top})`;
}

/** `error` as a UserError (NS4006) when it is the GPU's failure; otherwise `error` itself. */
export function deviceFailure(error: unknown, c: FailureContext): unknown {
  if (!(error instanceof Error) || (error instanceof UserError && error.code === CODES.device))
    return error;
  const said = error.message.split('\n')[0];
  const step = error instanceof StepError ? error.step : c.step;
  const where = `at step ${step + 1} (epoch ${c.epoch})`;
  if (LOST.test(error.message))
    return new UserError(CODES.device, `the GPU was lost ${where} (${said}); ${resumeNote(c)}`);
  if (OUT_OF_MEMORY.test(error.message))
    return new UserError(
      CODES.device,
      `out of GPU memory ${where}: ${memoryNote(c)}; lower the batch size; ${resumeNote(c)}`,
    );
  return error;
}
