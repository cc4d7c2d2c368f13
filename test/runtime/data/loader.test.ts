// The loader: drop_last, seeded order, and worker-thread batches (from the built dist/, as the
// CLI runs them) identical to batches made on the main thread.
import { describe, expect, it } from 'vitest';
import type { TransformStep } from '../../../compiler/index.js';
import { batches, epochOrder } from '../../../runtime/data/batches.js';
import type { Split } from '../../../runtime/data/sources.js';
import { ROOT } from '../../helpers/spec.js';

const split: Split = {
  images: Uint8Array.from({ length: 50 * 784 }, (_, i) => (i * 37) % 256),
  labels: Int32Array.from({ length: 50 }, (_, i) => i % 10),
  count: 50,
  imageShape: [1, 28, 28],
  scale: 1 / 255,
  origin: 'test',
  labelAt: () => 'test',
};
const step = (name: string, args: TransformStep['args'], trainOnly = true): TransformStep => ({
  name,
  args,
  trainOnly,
  span: undefined as never,
});
const steps = [
  step('RandomCrop', {
    size: [24],
    padding: null,
    pad_if_needed: false,
    fill: [0],
    padding_mode: 'constant',
  }),
  step('RandomAffine', {
    degrees: [-30, 30],
    translate: [0.1, 0.1],
    scale: [0.9, 1.1],
    shear: null,
    fill: [0],
  }),
  step('Normalize', { mean: [0.5], std: [0.25] }, false),
];

describe('loader', () => {
  it('drop_last drops the last, smaller batch', () => {
    const order = epochOrder(50, true, 1, 1);
    expect([...batches(split, order, 16)].map((b) => b.size)).toEqual([16, 16, 16, 2]);
    expect([...batches(split, order, 16, { dropLast: true })].map((b) => b.size)).toEqual([
      16, 16, 16,
    ]);
  });

  it('untransformed batches are pixel / 255 in the epoch order', () => {
    const order = epochOrder(50, true, 1, 1);
    const [first] = batches(split, order, 4);
    expect(first.images[784 * 2 + 5]).toBe(Math.fround(split.images[order[2] * 784 + 5] / 255));
    expect(first.labels[3]).toBe(BigInt(split.labels[order[3]]));
  });

  it('worker threads make the same batches as the main thread', async () => {
    const built = (await import(
      `${ROOT}/dist/runtime/data/prefetch.js`
    )) as typeof import('../../../runtime/data/prefetch.js');
    const order = epochOrder(50, true, 3, 2);
    const options = { steps, training: true, seed: 3, epoch: 2, dropLast: false };
    const inline = [...batches(split, order, 8, options)];
    const threaded = [];
    for await (const b of built.prefetchedBatches(split, order, 8, options, 2)) threaded.push(b);
    expect(threaded.map((b) => b.size)).toEqual(inline.map((b) => b.size));
    expect(threaded[0].shape).toEqual([1, 24, 24]);
    threaded.forEach((b, k) => {
      expect(Buffer.from(b.images.buffer).equals(Buffer.from(inline[k].images.buffer))).toBe(true);
      expect(b.labels).toEqual(inline[k].labels);
    });
  });

  it('chunks for several-step runs are the same from worker threads and the main thread', async () => {
    const built = (await import(
      `${ROOT}/dist/runtime/data/prefetch.js`
    )) as typeof import('../../../runtime/data/prefetch.js');
    const order = epochOrder(50, true, 3, 2);
    const options = { steps, training: true, seed: 3, epoch: 2, dropLast: false };
    const plan = { steps: 3, boundary: (n: number) => n === 2 };
    const made = async (workers: number) => {
      const chunks = [];
      for await (const c of built.prefetchedChunks(split, order, 8, options, plan, workers))
        chunks.push(c);
      return chunks;
    };
    const [inline, threaded] = [await made(0), await made(2)];
    // 50 examples in batches of 8: six of 8 and one of 2; a boundary after the second batch.
    expect(inline.map((c) => [c.steps, c.size])).toEqual([
      [2, 8],
      [3, 8],
      [1, 8],
      [1, 2],
    ]);
    expect(threaded.map((c) => [c.steps, c.size])).toEqual(inline.map((c) => [c.steps, c.size]));
    threaded.forEach((c, k) => {
      expect(Buffer.from(c.images.buffer).equals(Buffer.from(inline[k].images.buffer))).toBe(true);
      expect(c.labels).toEqual(inline[k].labels);
    });
  });
});
