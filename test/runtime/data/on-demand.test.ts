// Batches made on the main thread are made when the loop asks for one, not queued ahead of its
// step: onnxruntime's step blocks the main thread (docs/decisions/0018), so a batch queued
// ahead is made before the step all the same, but its making is then timed as the step's, not
// as the loop's wait for data (docs/decisions/0024-where-batches-are-made.md).
import { describe, expect, it } from 'vitest';
import { prefetchedChunks, pixelChunks } from '../../../runtime/data/prefetch.js';
import type { PixelStore } from '../../../runtime/data/store.js';
import { tinySplit } from '../../helpers/split.js';

/** A streamed split of `count` black images whose reads are logged. */
function loggedSplit(count: number, log: string[]) {
  const store: PixelStore = {
    handle: undefined as never,
    count,
    pixels: 784,
    read: (_indices, target) => {
      target.fill(0);
      log.push('make');
    },
    willRead: () => undefined,
    fingerprint: () => 'logged',
  };
  return { ...tinySplit(count), store };
}

/** A step as onnxruntime's: its work runs in a later macrotask. */
const step = (log: string[]) =>
  new Promise<void>((resolve) =>
    setImmediate(() => {
      log.push('step');
      resolve();
    }),
  );

const plan = { steps: 1 };
const order = Uint32Array.from({ length: 24 }, (_, i) => i);

describe('batches on the main thread', () => {
  it('are made when the loop asks, after the step before', async () => {
    for (const chunks of [
      (split: ReturnType<typeof loggedSplit>) => prefetchedChunks(split, order, 8, {}, plan, 0),
      (split: ReturnType<typeof loggedSplit>) => pixelChunks(split, order, 8, false, plan),
    ]) {
      const log: string[] = [];
      for await (const chunk of chunks(loggedSplit(24, log))) {
        log.push(`got ${chunk.size}`);
        await step(log);
      }
      expect(log).toEqual([
        'make',
        'got 8',
        'step',
        'make',
        'got 8',
        'step',
        'make',
        'got 8',
        'step',
      ]);
    }
  });

  it('stop being made when the loop stops early', async () => {
    const log: string[] = [];
    for await (const chunk of prefetchedChunks(loggedSplit(24, log), order, 8, {}, plan, 0)) {
      void chunk;
      break;
    }
    expect(log).toEqual(['make']);
  });
});
