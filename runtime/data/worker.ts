// A loader worker: holds one split (pixels shared, not copied) and a transform block, and
// answers "transform these examples" with a float batch, transferred back without copying.
import { parentPort, workerData } from 'node:worker_threads';
import type { BatchOptions } from './batches.js';
import { batches } from './batches.js';
import type { Split } from './sources.js';

export interface WorkerInit {
  images: Uint8Array;
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
const split: Split = {
  images: init.images,
  labels: init.labels,
  count: init.labels.length,
  imageShape: init.imageShape,
  scale: init.scale,
  origin: '',
  labelAt: () => '',
};

parentPort!.on('message', (request: WorkerRequest) => {
  const options = { ...init.options, epoch: request.epoch };
  const batch = batches(split, request.indices, request.indices.length, options).next().value!;
  parentPort!.postMessage({ id: request.id, images: batch.images }, [batch.images.buffer]);
});
