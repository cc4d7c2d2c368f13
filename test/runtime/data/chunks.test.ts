// Batches grouped into chunks for several-step runs: at most `steps` per chunk, cut where the
// plan's boundary falls (a checkpoint) and where the batch size changes (an epoch's short
// last batch), stacked in order.
import { describe, expect, it } from 'vitest';
import type { Batch } from '../../../runtime/data/batches.js';
import { chunked, chunkedAsync, firstSteps, planChunks } from '../../../runtime/data/chunks.js';

/** Batch k of `size` 2-pixel images: every pixel and label is k. */
function batch(k: number, size = 4): Batch {
  return {
    images: new Float32Array(size * 2).fill(k),
    labels: new BigInt64Array(size).fill(BigInt(k)),
    size,
    shape: [1, 1, 2],
  };
}

// Seven batches of 4 and a short one of 2.
const eight = () => [...Array.from({ length: 7 }, (_, k) => batch(k)), batch(7, 2)];

describe('chunks', () => {
  it('group at most `steps` batches, cut at boundaries and at a change of batch size', () => {
    const chunks = [...chunked(eight(), { steps: 3, boundary: (n) => n === 5 })];
    expect(chunks.map((c) => [c.steps, c.size])).toEqual([
      [3, 4],
      [2, 4],
      [2, 4],
      [1, 2],
    ]);
    expect(Array.from(chunks[1].labels)).toEqual([3n, 3n, 3n, 3n, 4n, 4n, 4n, 4n]);
    expect(Array.from(chunks[2].images)).toEqual([...Array(8).fill(5), ...Array(8).fill(6)]);
  });

  it('arrive the same way from batches made asynchronously', async () => {
    async function* later() {
      for (const b of eight()) yield await Promise.resolve(b);
    }
    const chunks = [];
    for await (const c of chunkedAsync(later(), { steps: 3 })) chunks.push(c.steps);
    expect(chunks).toEqual([3, 3, 1, 1]);
  });

  it('firstSteps views a chunk’s first batches', () => {
    const [chunk] = chunked(eight(), { steps: 4 });
    const two = firstSteps(chunk, 2);
    expect(two.steps).toBe(2);
    expect(Array.from(two.labels)).toEqual([0n, 0n, 0n, 0n, 1n, 1n, 1n, 1n]);
    expect(two.images.length).toBe(16);
  });

  it('are planned to fit 4 MiB of images and to end at checkpoint steps', () => {
    const small = 64 * 784 * 4; // a batch of 64 28×28 images: 200 KB
    expect(planChunks({ batchBytes: small, firstStep: 0 })).toEqual({ steps: 8 });
    expect(planChunks({ batchBytes: small, stepsPerRun: 3, firstStep: 0 }).steps).toBe(3);
    expect(planChunks({ batchBytes: 64 * 128 * 128 * 4, firstStep: 0 }).steps).toBe(1);
    expect(planChunks({ batchBytes: 1 << 20, firstStep: 0 }).steps).toBe(4);
    // Checkpoints every 10 steps from step 25: this pass's batches 5, 15, 25 end chunks.
    const plan = planChunks({
      batchBytes: small,
      checkpoint: { every: 10, unit: 'step' },
      firstStep: 25,
    });
    const ends = Array.from({ length: 30 }, (_, i) => i + 1).filter((n) => plan.boundary?.(n));
    expect(ends).toEqual([5, 15, 25]);
    const epochs = planChunks({
      batchBytes: small,
      checkpoint: { every: 1, unit: 'epoch' },
      firstStep: 0,
    });
    expect(epochs.boundary).toBeUndefined();
  });
});
