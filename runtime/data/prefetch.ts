// Where training batches are made (docs/decisions/0024-where-batches-are-made.md).
// onnxruntime-node runs a step synchronously on the main thread, blocking it (docs/decisions/0018),
// so batches made there are made between steps: when the loop asks for one, so that the time
// the loop waits for them is measured as such. Where cores are spare, worker threads (the
// split's pixels shared with them) make transformed batches while the step runs, several
// requests in flight, yielded in order; a streamed split's reads and decoding move to the
// workers too.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Batch, BatchOptions } from './batches.js';
import { batches, pixelBatches } from './batches.js';
import type { Chunk, ChunkPlan } from './chunks.js';
import { chunked, chunkedAsync } from './chunks.js';
import { CODES } from '../../compiler/index.js';
import { UserError } from '../errors.js';
import { outputShape } from './transforms/pipeline.js';
import type { Split } from './sources.js';
import type { WorkerInit } from './worker.js';

const WORKER_URL = new URL('./worker.js', import.meta.url);
/** Running from TypeScript sources (vitest) there is no compiled worker: transform inline. */
const CAN_USE_WORKERS = !import.meta.url.endsWith('.ts');

const transforms = (options: BatchOptions) =>
  (options.steps ?? []).some((s) => s.name !== 'ToTensor' && (options.training || !s.trainOnly));

export async function* prefetchedBatches(
  split: Split,
  order: Uint32Array,
  batchSize: number,
  options: BatchOptions,
  workers = loaderWorkers(),
): AsyncGenerator<Batch> {
  if (onMainThread(split, options, workers)) {
    yield* batches(split, order, batchSize, options);
    return;
  }
  const pool = startWorkers(split, options, workers);
  try {
    yield* inOrder(pool, split, order, batchSize, options);
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
}

/** Batches made on the main thread, or by workers: transforms and streamed reads (disk, decoding). */
function onMainThread(split: Split, options: BatchOptions, workers: number): boolean {
  return !CAN_USE_WORKERS || workers === 0 || !(transforms(options) || split.store);
}

/**
 * `prefetchedBatches` stacked into chunks for a several-step run: by workers, the whole next
 * chunk is made while the current one runs.
 */
export async function* prefetchedChunks(
  split: Split,
  order: Uint32Array,
  batchSize: number,
  options: BatchOptions,
  plan: ChunkPlan,
  workers = loaderWorkers(),
): AsyncGenerator<Chunk> {
  if (onMainThread(split, options, workers)) {
    yield* chunked(batches(split, order, batchSize, options), plan);
    return;
  }
  yield* chunkedAsync(prefetchedBatches(split, order, batchSize, options, workers), plan);
}

/** Chunks of untransformed stored bytes: reads only, made on the main thread. */
export async function* pixelChunks(
  split: Split,
  order: Uint32Array,
  batchSize: number,
  dropLast: boolean,
  plan: ChunkPlan,
): AsyncGenerator<Chunk<Uint8Array>> {
  yield* chunked(pixelBatches(split, order, batchSize, dropLast), plan);
}

/**
 * onnxruntime's step uses every core, so a worker only helps where cores are spare
 * (docs/decisions/0004-data-loading.md).
 */
export function loaderWorkers(): number {
  const forced = process.env.NETSPEC_LOADER_WORKERS; // for measuring: 0 = main thread
  if (forced !== undefined && /^\d+$/.test(forced)) return Number(forced);
  return Math.max(0, Math.min(4, availableParallelism() - 2));
}

function startWorkers(split: Split, options: BatchOptions, count: number): Worker[] {
  // A streamed split is not copied: each worker opens the same store and reads from disk.
  const memory = split.store ? undefined : new SharedArrayBuffer(split.images.byteLength);
  const shared =
    memory &&
    (split.images instanceof Float32Array ? new Float32Array(memory) : new Uint8Array(memory));
  shared?.set(split.images);
  const init: WorkerInit = {
    images: shared,
    store: split.store?.handle,
    labels: split.labels,
    imageShape: split.imageShape,
    scale: split.scale,
    options: { ...options, epoch: undefined },
  };
  return Array.from({ length: count }, () => new Worker(WORKER_URL, { workerData: init }));
}

async function* inOrder(
  pool: Worker[],
  split: Split,
  order: Uint32Array,
  batchSize: number,
  options: BatchOptions,
): AsyncGenerator<Batch> {
  const shape = transforms(options)
    ? outputShape(options.steps ?? [], split.imageShape)
    : split.imageShape;
  const end = options.dropLast ? order.length - (order.length % batchSize) : order.length;
  const starts = Array.from({ length: Math.ceil(end / batchSize) }, (_, k) => k * batchSize);
  const depth = 2 * pool.length;
  const pending: Promise<Float32Array>[] = [];
  const request = (k: number) => {
    const indices = order.slice(starts[k], Math.min(starts[k] + batchSize, end));
    pending[k] = ask(pool[k % pool.length], k, indices, options.epoch ?? 0);
    // A batch ahead may fail before it is awaited: its error is raised when its turn comes.
    pending[k].catch(() => undefined);
  };
  for (let k = 0; k < Math.min(depth, starts.length); k++) request(k);
  for (let k = 0; k < starts.length; k++) {
    const images = await pending[k];
    delete pending[k];
    if (k + depth < starts.length) request(k + depth);
    const size = Math.min(batchSize, end - starts[k]);
    const labels = new BigInt64Array(size);
    for (let i = 0; i < size; i++) labels[i] = BigInt(split.labels[order[starts[k] + i]]);
    yield { images, labels, size, shape };
  }
}

/**
 * A batch from `worker`. A worker that fails or exits instead (out of memory, a crash) is one
 * UserError, never a hang: the main thread would otherwise wait for a reply that never comes.
 */
export function ask(
  worker: Worker,
  id: number,
  indices: Uint32Array,
  epoch: number,
): Promise<Float32Array> {
  return new Promise((resolve, reject) => {
    const done = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    const onMessage = (reply: {
      id: number;
      images: Float32Array;
      error?: { code: string; message: string };
    }) => {
      if (reply.id !== id) return;
      done();
      if (reply.error) reject(new UserError(reply.error.code, reply.error.message));
      else resolve(reply.images);
    };
    const onError = (e: Error) => {
      done();
      reject(workerStopped(e.message));
    };
    const onExit = (code: number) => {
      done();
      reject(workerStopped(`it exited with code ${code}`));
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    worker.postMessage({ id, indices, epoch });
  });
}

function workerStopped(reason: string): UserError {
  return new UserError(
    CODES.loaderStopped,
    `a data loader worker thread stopped while making a batch: ${reason} ` +
      '(NETSPEC_LOADER_WORKERS=0 makes the batches on the main thread)',
  );
}
