// The data figures for `npm run bench`: loading Fashion-MNIST's gzip IDX files into memory, the
// augmentation pipeline of specs/fashion-augment.net making training batches through the
// loader the training loop uses (beside the CNN's training rate), and the share of a training
// epoch of that recipe the loop spends waiting for its batches (`EpochMetrics.dataSeconds`),
// made on the main thread and by a loader worker, interleaved.
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { resolve } from 'node:path';
import type { Recipe } from '../compiler/index.js';
import { checkSpec, compileRecipe } from '../compiler/index.js';
import { epochOrder } from '../runtime/data/batches.js';
import type { LoadedData, Split } from '../runtime/data/dataset.js';
import { loadDataset } from '../runtime/data/dataset.js';
import { loaderWorkers, prefetchedBatches } from '../runtime/data/prefetch.js';
import { subset } from '../runtime/data/split.js';
import { computeStats, statsPrefix } from '../runtime/data/stats.js';
import type { ChannelStats } from '../runtime/data/transforms/pipeline.js';
import { batchOptions } from '../runtime/evaluate.js';
import { train } from '../runtime/train.js';
import { median } from './language.js';

const SPEC = 'fashion-augment.net';
const RECIPE = 'Augmented';
/** Images run through the augmentation pipeline: 200 batches of 64. */
const AUGMENT_IMAGES = 12800;
/** Training images of the wait-share figure: 50 batches of 64, one epoch per round. */
const WAIT_IMAGES = 3200;
const WAIT_ROUNDS = 3;

export const fmt = (x: number, digits = 0) =>
  x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function augmentRecipe(): Recipe {
  const path = resolve(import.meta.dirname, '../../specs', SPEC);
  const { spec } = checkSpec(readFileSync(path, 'utf8'), path);
  return spec.recipes.get(RECIPE)!;
}

/** The recipe's dataset loaded into memory (gzip IDX train and test); the fastest of `runs`. */
function loadTimed(recipe: Recipe, runs = 3): { seconds: number; data: LoadedData } {
  let best = Infinity;
  let data: LoadedData | undefined;
  for (let run = 0; run < runs; run++) {
    const start = performance.now();
    data = loadDataset(recipe.dataset, recipe.model, [], recipe.transform);
    best = Math.min(best, (performance.now() - start) / 1000);
  }
  return { seconds: best, data: data! };
}

/** Normalize(auto)'s statistics, computed (not read from or written to the cache). */
function statsOf(recipe: Recipe, split: Split): ChannelStats | undefined {
  const steps = recipe.transform?.steps ?? [];
  const normalize = steps.find((s) => s.name === 'Normalize');
  if (!normalize || (normalize.args.mean !== 'auto' && normalize.args.std !== 'auto'))
    return undefined;
  return computeStats(split, statsPrefix(steps));
}

/**
 * Images per second of the recipe's training transforms, as the training loop gets them:
 * `prefetchedBatches` with the loop's batch options (workers where cores are spare), the first
 * `images` of epoch 1's order. The fastest of `runs`.
 */
async function augmentRate(
  recipe: Recipe,
  split: Split,
  stats: ChannelStats | undefined,
  images: number,
  runs = 3,
): Promise<number> {
  const order = epochOrder(split.count, recipe.shuffle, recipe.seed, 1).subarray(0, images);
  const feeding = batchOptions(recipe, stats, true, 1);
  let best = Infinity;
  for (let run = 0; run < runs; run++) {
    const start = performance.now();
    for await (const batch of prefetchedBatches(split, order, recipe.batch, feeding)) void batch;
    best = Math.min(best, (performance.now() - start) / 1000);
  }
  return images / best;
}

let loaded: { recipe: Recipe; data: LoadedData; stats: ChannelStats | undefined } | undefined;

/** The augmenting recipe, its first `images` training images and their statistics (loaded once). */
export function augmentData(images: number) {
  if (!loaded) {
    const recipe = augmentRecipe();
    const data = loadDataset(recipe.dataset, recipe.model, [], recipe.transform);
    loaded = { recipe, data, stats: statsOf(recipe, data.train) };
  }
  const { recipe, data, stats } = loaded;
  const first = subset(
    data.train,
    Uint32Array.from({ length: images }, (_, i) => i),
  );
  return { recipe, first, stats };
}

/** A way of feeding the training step: loader workers (0: the main thread) beside onnxruntime's threads. */
export interface Feeding {
  name: string;
  workers: number;
  /** Intra-op threads; 0: netspec's default. */
  threads: number;
}

export interface FeedingResult {
  feeding: Feeding;
  /** Per round: the epoch's images per second, and the share of it spent waiting for batches. */
  rates: number[];
  shares: number[];
}

/** One epoch of the recipe on its first `images` training images, fed as `feeding` says. */
async function epochWith(feeding: Feeding, images: number) {
  const { recipe, first, stats } = augmentData(images);
  const before = process.env.NETSPEC_LOADER_WORKERS;
  process.env.NETSPEC_LOADER_WORKERS = String(feeding.workers);
  try {
    const result = await train(
      recipe,
      compileRecipe(recipe),
      { train: first, stats },
      { epochs: 1, threads: feeding.threads, device: 'cpu' },
    );
    const epoch = result.history[0];
    return { rate: epoch.imagesPerSecond, share: (epoch.dataSeconds ?? 0) / epoch.seconds };
  } finally {
    if (before === undefined) delete process.env.NETSPEC_LOADER_WORKERS;
    else process.env.NETSPEC_LOADER_WORKERS = before;
  }
}

/**
 * Interleaved epochs, one per feeding per round, in turn (the order alternating between
 * rounds), so that load from other processes falls on all of them alike.
 */
export async function abFeedings(
  feedings: Feeding[],
  rounds: number,
  images: number,
): Promise<FeedingResult[]> {
  const results = feedings.map((feeding) => ({
    feeding,
    rates: [] as number[],
    shares: [] as number[],
  }));
  await epochWith(feedings[0], images); // warms up: the statistics, the kernels' first runs
  for (let round = 0; round < rounds; round++) {
    for (const result of round % 2 === 0 ? results : [...results].reverse()) {
      const { rate, share } = await epochWith(result.feeding, images);
      result.rates.push(rate);
      result.shares.push(share);
    }
  }
  return results;
}

const range = (xs: number[], digits: number, scale = 1) =>
  `${fmt(Math.min(...xs) * scale, digits)}–${fmt(Math.max(...xs) * scale, digits)}`;

/** Each feeding's median rate and wait share with their ranges; its per-round rate ratio to the first. */
export function feedingLine(results: FeedingResult[]): string {
  const base = results[0].rates;
  return results
    .map((r) => {
      const ratios = r.rates.map((x, i) => x / base[i]);
      const ratio = r === results[0] ? '' : `, ${fmt(median(ratios), 2)}× (${range(ratios, 2)})`;
      return (
        `${r.feeding.name}: ${fmt(median(r.rates))} images/s (${range(r.rates, 0)})${ratio}, ` +
        `waiting ${fmt(100 * median(r.shares), 1)}% (${range(r.shares, 1, 100)})`
      );
    })
    .join('; ');
}

/** The one-minute load average, beside every figure taken on a shared machine. */
export const loadAverage = () => loadavg()[0].toFixed(2);

/** Where batches are made by default on this machine, and the alternative. */
function feedings(): Feeding[] {
  const workers = Math.max(1, loaderWorkers());
  const byDefault = (yes: boolean) => (yes ? ' (default)' : '');
  return [
    { name: `main thread${byDefault(loaderWorkers() === 0)}`, workers: 0, threads: 0 },
    {
      name: `${workers} loader worker${workers > 1 ? 's' : ''}${byDefault(loaderWorkers() > 0)}`,
      workers,
      threads: 0,
    },
  ];
}

/** The three data lines; `cnnImagesPerSecond` is the bench's CNN training rate. */
export async function dataLines(cnnImagesPerSecond: number): Promise<string[]> {
  const recipe = augmentRecipe();
  const load = loadTimed(recipe);
  const { train: split, test } = load.data;
  const stats = statsOf(recipe, split);
  loaded = { recipe, data: load.data, stats };
  const steps = (recipe.transform?.steps ?? []).map((s) => s.name).join(' → ');
  const rate = await augmentRate(recipe, split, stats, AUGMENT_IMAGES);
  const cores = availableParallelism();
  const loadBefore = loadAverage();
  const wait = await abFeedings(feedings(), WAIT_ROUNDS, WAIT_IMAGES);
  return [
    `IDX load of Fashion-MNIST (gzip, ${fmt(split.count + (load.data.validation?.count ?? 0))} training + ` +
      `${fmt(test?.count ?? 0)} test images, into memory): ${fmt(load.seconds, 2)} s (fastest of 3)`,
    `Augmentation (${SPEC} ${recipe.transform?.name}: ${steps}; batches of ${recipe.batch} through the ` +
      `training loader, ${fmt(AUGMENT_IMAGES)} images, ${cores} cores): ${fmt(rate)} images/s = ` +
      `${fmt(rate / cnnImagesPerSecond, 1)}× the CNN's training rate (${fmt(cnnImagesPerSecond)} images/s)`,
    `Data wait (${SPEC} ${RECIPE}, ${fmt(WAIT_IMAGES)} images per epoch, ${WAIT_ROUNDS} interleaved ` +
      `epochs each, ${cores} cores, load ${loadBefore} → ${loadAverage()}): ${feedingLine(wait)}`,
  ];
}
