// Consecutive minibatches stacked for a several-step run (compiler/lower/steps-loop.ts): one
// onnxruntime run takes a chunk's images as [steps, batch, …] and its labels as [steps, batch].
// A chunk holds batches of one size only, so an epoch's short last batch runs alone.
import type { Batch, Images } from './batches.js';

export interface Chunk<I extends Images = Float32Array> {
  images: I;
  labels: BigInt64Array;
  /** Steps: batches stacked. */
  steps: number;
  /** Examples per batch. */
  size: number;
  /** [channels, height, width] of each image. */
  shape: number[];
}

/**
 * How batches group into chunks: at most `steps` per chunk, and a chunk also ends after the
 * batch that `boundary` names (counted from 1 within this pass), e.g. a checkpoint's step.
 */
export interface ChunkPlan {
  steps: number;
  boundary?: (batches: number) => boolean;
}

/** Batches stacked in order, in chunks as `plan` says (shorter where the batch size changes). */
export function* chunked<I extends Images>(
  batches: Iterable<Batch<I>>,
  plan: ChunkPlan,
): Generator<Chunk<I>> {
  const group = new Grouper<I>(plan);
  for (const batch of batches) yield* group.add(batch);
  yield* group.flush();
}

/** `chunked` for batches that arrive asynchronously (made by worker threads). */
export async function* chunkedAsync<I extends Images>(
  batches: AsyncIterable<Batch<I>>,
  plan: ChunkPlan,
): AsyncGenerator<Chunk<I>> {
  const group = new Grouper<I>(plan);
  for await (const batch of batches) yield* group.add(batch);
  yield* group.flush();
}

/** The first `steps` batches of a chunk, as a chunk (views, no copy). */
export function firstSteps<I extends Images>(chunk: Chunk<I>, steps: number): Chunk<I> {
  const pixels = chunk.images.length / chunk.steps;
  return {
    ...chunk,
    steps,
    images: chunk.images.subarray(0, steps * pixels) as I,
    labels: chunk.labels.subarray(0, steps * chunk.size),
  };
}

class Grouper<I extends Images> {
  private pending: Batch<I>[] = [];
  private done = 0;

  constructor(private plan: ChunkPlan) {}

  *add(batch: Batch<I>): Generator<Chunk<I>> {
    if (this.pending.length > 0 && batch.size !== this.pending[0].size) yield* this.flush();
    this.pending.push(batch);
    const count = this.done + this.pending.length;
    if (this.pending.length >= this.plan.steps || this.plan.boundary?.(count)) yield* this.flush();
  }

  *flush(): Generator<Chunk<I>> {
    if (this.pending.length === 0) return;
    const chunk = stack(this.pending);
    this.done += this.pending.length;
    this.pending = [];
    yield chunk;
  }
}

function stack<I extends Images>(batches: Batch<I>[]): Chunk<I> {
  const [first] = batches;
  if (batches.length === 1) return { ...first, steps: 1 }; // as it is: no copy
  const pixels = first.images.length;
  const length = batches.length * pixels;
  const images = (
    first.images instanceof Uint8Array ? new Uint8Array(length) : new Float32Array(length)
  ) as I;
  const labels = new BigInt64Array(batches.length * first.size);
  batches.forEach((b, i) => {
    images.set(b.images, i * pixels);
    labels.set(b.labels, i * first.size);
  });
  return { images, labels, steps: batches.length, size: first.size, shape: first.shape };
}

/** Steps per onnxruntime run (docs/decisions/0010-steps-per-run-and-divergence.md). */
export const STEPS_PER_RUN = 8;

/**
 * A chunk's images are stacked into one buffer, made while the previous chunk runs: large
 * images (a streamed 128×128 dataset: 4 MiB per batch of 64) run one batch per run instead, so
 * that memory stays that of single steps. 28×28 batches of 64 (200 KB) fill 8 steps.
 */
const CHUNK_BYTES = 4 << 20;

export interface ChunkNeeds {
  /** Bytes of one batch's images. */
  batchBytes: number;
  /** At most this many steps per run (default STEPS_PER_RUN). */
  stepsPerRun?: number;
  /** Checkpoints every N steps end a chunk, so they land on the same steps whatever K is. */
  checkpoint?: { every: number; unit: 'epoch' | 'step' };
  /** The run's step count before the chunks of this pass. */
  firstStep: number;
  /** A chunk also ends after the run's step `step` (counted from 1) when this says so. */
  endsAfter?: (step: number) => boolean;
}

/** Chunks of at most `stepsPerRun` steps and CHUNK_BYTES of images (one batch at least). */
export function planChunks(needs: ChunkNeeds): ChunkPlan {
  const fit = Math.max(1, Math.floor(CHUNK_BYTES / needs.batchBytes));
  const steps = Math.max(1, Math.min(fit, needs.stepsPerRun ?? STEPS_PER_RUN));
  const { checkpoint, firstStep, endsAfter } = needs;
  const checkpointAt = (step: number) =>
    checkpoint?.unit === 'step' && step % checkpoint.every === 0;
  if (checkpoint?.unit !== 'step' && !endsAfter) return { steps };
  return {
    steps,
    boundary: (n) => checkpointAt(firstStep + n) || (endsAfter?.(firstStep + n) ?? false),
  };
}
