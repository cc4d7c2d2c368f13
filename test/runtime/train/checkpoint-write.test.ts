// A checkpoint that cannot be written (here: the disk fills up while its files are written)
// fails with one clear error, leaves no partial folder, and the previous checkpoint stays
// loadable.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { CODES } from '../../../compiler/index.js';
import { UserError } from '../../../runtime/errors.js';

const full = { on: false };
vi.mock('node:fs', async (original) => {
  const fs = await original<typeof import('node:fs')>();
  return {
    ...fs,
    writeFileSync: (...args: Parameters<typeof fs.writeFileSync>) => {
      if (full.on && String(args[0]).includes('optimizer.safetensors')) {
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), {
          code: 'ENOSPC',
        });
      }
      return fs.writeFileSync(...args);
    },
  };
});

const { readCheckpoint, writeCheckpoint } = await import('../../../runtime/checkpoint.js');
const { tempDir } = await import('../../helpers/spec.js');

function checkpoint(epoch: number) {
  const tensor = (v: number) => ({ shape: [2], data: Float32Array.of(v, v) });
  return {
    weights: new Map([['linear1.weight', tensor(epoch)]]),
    optimizer: new Map([['linear1.weight.momentum_buffer', tensor(-epoch)]]),
    state: {
      format: 'netspec-checkpoint' as const,
      version: 1 as const,
      recipe: 'T',
      epoch,
      step: 10 * epoch,
      history: Array.from({ length: epoch }, (_, e) => ({
        epoch: e + 1,
        trainLoss: 1,
        trainAccuracy: 0.5,
        lr: 0.1,
        imagesPerSecond: 100,
        seconds: 1,
      })),
      stepsAtEpoch: Array.from({ length: epoch }, (_, e) => 10 * (e + 1)),
      control: {
        progress: { epoch: epoch + 1, batchesDone: 0, lossSum: 0, correct: 0, seen: 0, seconds: 0 },
      },
    },
  };
}

describe('writing a checkpoint', () => {
  it('on a full disk: a clear error, no partial folder, the previous checkpoint intact', () => {
    const dir = tempDir();
    const last = join(dir, 'ckpt', 'last');
    writeCheckpoint(last, checkpoint(1));
    full.on = true;
    try {
      expect(() => writeCheckpoint(last, checkpoint(2))).toThrow(
        new UserError(
          CODES.checkpoint,
          `${last}: cannot write the checkpoint (ENOSPC); the previous checkpoint there is intact`,
        ),
      );
    } finally {
      full.on = false;
    }
    expect(readdirSync(join(dir, 'ckpt'))).toEqual(['last']);
    const kept = readCheckpoint(last);
    expect(kept.state.epoch).toBe(1);
    expect([...kept.weights.get('linear1.weight')!.data]).toEqual([1, 1]);
    // and the next write, with room again, replaces it
    writeCheckpoint(last, checkpoint(3));
    expect(readCheckpoint(last).state.epoch).toBe(3);
    expect(existsSync(`${last}.tmp-${process.pid}`)).toBe(false);
  });
});
