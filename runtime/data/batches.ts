// Turns a split into minibatches: a seeded order per epoch, and batches filled into reusable
// buffers as the step graph wants them (float pixels scaled to [0, 1], int64 labels).
import { Rng } from '../../compiler/index.js';
import type { Split } from './dataset.js';

/** The order of examples in `epoch`: shuffled with a stream derived from (seed, epoch), or as stored. */
export function epochOrder(
  count: number,
  shuffle: boolean,
  seed: number,
  epoch: number,
): Uint32Array {
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  return shuffle ? new Rng(seed, `shuffle:epoch${epoch}`).shuffle(order) : order;
}

export interface Batch {
  images: Float32Array;
  labels: BigInt64Array;
  size: number;
}

/** Splits `order` into batches of `batchSize`; the last one may be smaller (PyTorch's drop_last=False). */
export function* batches(split: Split, order: Uint32Array, batchSize: number): Generator<Batch> {
  const pixels = split.imageShape.reduce((n, d) => n * d, 1);
  for (let start = 0; start < order.length; start += batchSize) {
    const size = Math.min(batchSize, order.length - start);
    const images = new Float32Array(size * pixels);
    const labels = new BigInt64Array(size);
    for (let k = 0; k < size; k++) {
      const index = order[start + k];
      const source = split.images.subarray(index * pixels, (index + 1) * pixels);
      const target = k * pixels;
      // ToTensor: uint8 → float in [0, 1].
      for (let p = 0; p < pixels; p++) images[target + p] = source[p] / 255;
      labels[k] = BigInt(split.labels[index]);
    }
    yield { images, labels, size };
  }
}
