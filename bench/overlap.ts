// Interleaved A/B of where an augmenting recipe's batches are made while it trains, and with how
// many onnxruntime threads: one epoch of specs/fashion-augment.net's recipe per feeding per
// round, in one process. Prints each feeding's median images/s and data-wait share with their
// ranges, and its per-round rate ratio to the first. The loader's default comes from this
// (docs/decisions/0024-where-batches-are-made.md).
//
//   node dist/bench/overlap.js [--rounds N] [--images N]
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import type { Feeding } from './data.js';
import { abFeedings, feedingLine, loadAverage } from './data.js';

const FEEDINGS: Feeding[] = [
  { name: 'main thread, 2 threads', workers: 0, threads: 2 },
  { name: '1 worker, 2 threads', workers: 1, threads: 2 },
  { name: '1 worker, 1 thread', workers: 1, threads: 1 },
  { name: 'main thread, 1 thread', workers: 0, threads: 1 },
];

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    images: { type: 'string', default: '3200' },
  },
});
const before = loadAverage();
const results = await abFeedings(FEEDINGS, Number(values.rounds), Number(values.images));
console.log(
  `${values.images} images per epoch, ${values.rounds} rounds, ${availableParallelism()} cores, ` +
    `load ${before} → ${loadAverage()}: ${feedingLine(results)}`,
);
