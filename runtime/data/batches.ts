// Turns a split into minibatches: a seeded order per epoch, and batches of float tensors as
// the step graph wants them (pixels × scale, e.g. /255 — ToTensor — then the transform block),
// with int64 labels. Untransformed data takes a copy-and-scale fast path.
import type { TransformStep } from '../../compiler/index.js';
import { Rng } from '../../compiler/index.js';
import type { Pixels, Split } from './sources.js';
import type { Img } from './transforms/image.js';
import type { ChannelStats } from './transforms/pipeline.js';
import { exampleRng, outputShape, pipeline } from './transforms/pipeline.js';

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

/** Images as the step graph's floats, or as their stored bytes for a graph that scales them. */
export type Images = Float32Array | Uint8Array;

export interface Batch<I extends Images = Float32Array> {
  images: I;
  labels: BigInt64Array;
  size: number;
  /** [channels, height, width] of each image. */
  shape: number[];
}

export interface BatchOptions {
  dropLast?: boolean;
  /** The transform block's steps; random ones apply only when `training`. */
  steps?: TransformStep[];
  training?: boolean;
  stats?: ChannelStats;
  /** For the per-example augmentation streams. */
  seed?: number;
  epoch?: number;
}

/**
 * The stored pixels of examples `indices`: example k's are `pixels(k)`. In memory these are
 * views; a streamed split reads them all from its store at once (adjacent examples in one read).
 */
export function readPixels(split: Split, indices: ArrayLike<number>): (k: number) => Pixels {
  const size = split.imageShape[0] * split.imageShape[1] * split.imageShape[2];
  if (split.store) {
    const bytes = new Uint8Array(indices.length * size);
    split.store.read(indices, bytes);
    return (k) => bytes.subarray(k * size, (k + 1) * size);
  }
  const images = split.images;
  return (k) => images.subarray(indices[k] * size, (indices[k] + 1) * size);
}

/**
 * Tells a streamed split's store the batch from `start` on, so that it is read while this one is
 * made and used (a step, for training).
 */
function readAhead(
  split: Split,
  order: Uint32Array,
  start: number,
  batchSize: number,
  end: number,
): void {
  if (split.store && start < end)
    split.store.willRead(order.subarray(start, Math.min(start + batchSize, end)));
}

/** Example `index` as a float image: pixel × scale (exactly pixel / 255 for ToTensor). */
export function toImage(split: Split, index: number): Img {
  return pixelsToImage(split, readPixels(split, [index])(0));
}

/** One example's stored pixels as a float image. */
export function pixelsToImage(split: Split, source: Pixels): Img {
  const [c, h, w] = split.imageShape;
  const data = new Float32Array(c * h * w);
  scaleInto(source, split.scale, data, 0);
  return { data, c, h, w };
}

function scaleInto(source: Pixels, scale: number, target: Float32Array, offset: number): void {
  const pixels = source.length;
  // Dividing by 255 (not multiplying by 1/255) gives bit-identical floats to torchvision's ToTensor.
  const d = Math.round(1 / scale);
  if (Math.abs(1 / scale - d) < 1e-9) {
    for (let p = 0; p < pixels; p++) target[offset + p] = source[p] / d;
  } else {
    for (let p = 0; p < pixels; p++) target[offset + p] = source[p] * scale;
  }
}

/** Does the block change anything (ToTensor alone, or nothing at all, does not)? */
const transforms = (options: BatchOptions) =>
  (options.steps ?? []).some((s) => s.name !== 'ToTensor' && (options.training || !s.trainOnly));

/** Whether the block leaves the pixels as ToTensor makes them (a graph can scale them itself). */
export const untransformed = (options: BatchOptions) => !transforms(options);

/** Whether a split stores its pixels as bytes (a streamed split always does). */
export const bytePixels = (split: Split) =>
  split.store !== undefined || split.images instanceof Uint8Array;

/**
 * `batches` of untransformed examples as their stored bytes, for a graph that turns them into
 * floats itself (a quarter of the bytes to move to a GPU).
 */
export function* pixelBatches(
  split: Split,
  order: Uint32Array,
  batchSize: number,
  dropLast = false,
): Generator<Batch<Uint8Array>> {
  const shape = split.imageShape;
  const pixels = shape.reduce((n, d) => n * d, 1);
  const end = dropLast ? order.length - (order.length % batchSize) : order.length;
  for (let start = 0; start < end; start += batchSize) {
    const size = Math.min(batchSize, end - start);
    const images = new Uint8Array(size * pixels);
    const labels = new BigInt64Array(size);
    const source = readPixels(split, order.subarray(start, start + size));
    readAhead(split, order, start + batchSize, batchSize, end);
    for (let k = 0; k < size; k++) {
      images.set(source(k), k * pixels);
      labels[k] = BigInt(split.labels[order[start + k]]);
    }
    yield { images, labels, size, shape };
  }
}

/** Splits `order` into batches of `batchSize`; the last one may be smaller unless dropLast. */
export function* batches(
  split: Split,
  order: Uint32Array,
  batchSize: number,
  options: BatchOptions = {},
): Generator<Batch> {
  const steps = options.steps ?? [];
  const shape = transforms(options) ? outputShape(steps, split.imageShape) : split.imageShape;
  const pixels = shape.reduce((n, d) => n * d, 1);
  const run = transforms(options)
    ? pipeline(steps, options.training ?? false, options.stats)
    : undefined;
  const end = options.dropLast ? order.length - (order.length % batchSize) : order.length;
  for (let start = 0; start < end; start += batchSize) {
    const size = Math.min(batchSize, end - start);
    const images = new Float32Array(size * pixels);
    const labels = new BigInt64Array(size);
    const source = readPixels(split, order.subarray(start, start + size));
    readAhead(split, order, start + batchSize, batchSize, end);
    for (let k = 0; k < size; k++) {
      const index = order[start + k];
      if (run) {
        const rng = exampleRng(options.seed ?? 0, options.epoch ?? 0, index);
        images.set(run(pixelsToImage(split, source(k)), rng).data, k * pixels);
      } else scaleInto(source(k), split.scale, images, k * pixels);
      labels[k] = BigInt(split.labels[index]);
    }
    yield { images, labels, size, shape };
  }
}
