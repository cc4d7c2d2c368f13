// A loader worker: holds one split (pixels shared, not copied) and a transform block, and
// answers "transform these examples" with a float batch, transferred back without copying.
import { parentPort, workerData } from 'node:worker_threads';
import type { BatchOptions } from './batches.js';
import { batches } from './batches.js';
import { UserError } from '../errors.js';
import type { Pixels, Split } from './sources.js';
import { streamedSplit } from './sources.js';
import type { StoreHandle } from './store.js';
import { openStore } from './store.js';

export interface WorkerInit {
  /** The pixels, shared; or, for a streamed split, the store to open. */
  images?: Pixels;
  store?: StoreHandle;
  labels: Int32Array;
  imageShape: number[];
  scale: number;
  options: BatchOptions;
}

export interface WorkerRequest {
  id: number;
  indices: Uint32Array;
  epoch: number;
}

const init = workerData as WorkerInit;
const fields = {
  labels: init.labels,
  count: init.labels.length,
  imageShape: init.imageShape,
  scale: init.scale,
  origin: '',
  labelAt: () => '',
};
const split: Split = init.store
  ? streamedSplit(fields, openStore(init.store), 'streamed')
  : { ...fields, images: init.images! };

parentPort!.on('message', (request: WorkerRequest) => {
  const options = { ...init.options, epoch: request.epoch };
  let batch;
  try {
    batch = batches(split, request.indices, request.indices.length, options).next().value!;
  } catch (e) {
    // A bad image of a streamed folder: the main thread reports it as the same UserError.
    if (!(e instanceof UserError)) throw e;
    parentPort!.postMessage({ id: request.id, error: { code: e.code, message: e.message } });
    return;
  }
  parentPort!.postMessage({ id: request.id, images: batch.images }, [batch.images.buffer]);
});
