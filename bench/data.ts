// The data figures for `npm run bench`: loading Fashion-MNIST's gzip IDX files into memory, the
// augmentation pipeline of specs/fashion-augment.net making training batches through the
// loader the training loop uses (beside the CNN's training rate), and the share of a training
// epoch of that recipe the loop spends waiting for its batches (`EpochMetrics.dataSeconds`).
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import type { Recipe } from '../compiler/index.js';
import { checkSpec, compileRecipe } from '../compiler/index.js';
import { epochOrder } from '../runtime/data/batches.js';
import type { LoadedData, Split } from '../runtime/data/dataset.js';
import { loadDataset } from '../runtime/data/dataset.js';
import { prefetchedBatches } from '../runtime/data/prefetch.js';
import { subset } from '../runtime/data/split.js';
import { computeStats, statsPrefix } from '../runtime/data/stats.js';
import type { ChannelStats } from '../runtime/data/transforms/pipeline.js';
import { batchOptions } from '../runtime/evaluate.js';
import { train } from '../runtime/train.js';

const SPEC = 'fashion-augment.net';
const RECIPE = 'Augmented';
/** Images run through the augmentation pipeline: 200 batches of 64. */
const AUGMENT_IMAGES = 12800;
/** Training images of the wait-share figure: 50 batches of 64, one epoch. */
const WAIT_IMAGES = 3200;

const fmt = (x: number, digits = 0) =>
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

/** One epoch of the recipe on its first `images` training images: the share spent waiting for data. */
async function waitShare(
  recipe: Recipe,
  split: Split,
  stats: ChannelStats | undefined,
  images: number,
) {
  const first = subset(
    split,
    Uint32Array.from({ length: images }, (_, i) => i),
  );
  const result = await train(
    recipe,
    compileRecipe(recipe),
    { train: first, stats },
    { epochs: 1, threads: 0, device: 'cpu' },
  );
  const epoch = result.history[0];
  return {
    imagesPerSecond: epoch.imagesPerSecond,
    seconds: epoch.seconds,
    dataSeconds: epoch.dataSeconds ?? 0,
  };
}

/** The three data lines; `cnnImagesPerSecond` is the bench's CNN training rate. */
export async function dataLines(cnnImagesPerSecond: number): Promise<string[]> {
  const recipe = augmentRecipe();
  const load = loadTimed(recipe);
  const { train: split, test } = load.data;
  const stats = statsOf(recipe, split);
  const steps = (recipe.transform?.steps ?? []).map((s) => s.name).join(' → ');
  const rate = await augmentRate(recipe, split, stats, AUGMENT_IMAGES);
  const wait = await waitShare(recipe, split, stats, WAIT_IMAGES);
  const cores = availableParallelism();
  return [
    `IDX load of Fashion-MNIST (gzip, ${fmt(split.count + (load.data.validation?.count ?? 0))} training + ` +
      `${fmt(test?.count ?? 0)} test images, into memory): ${fmt(load.seconds, 2)} s (fastest of 3)`,
    `Augmentation (${SPEC} ${recipe.transform?.name}: ${steps}; batches of ${recipe.batch} through the ` +
      `training loader, ${fmt(AUGMENT_IMAGES)} images, ${cores} cores): ${fmt(rate)} images/s = ` +
      `${fmt(rate / cnnImagesPerSecond, 1)}× the CNN's training rate (${fmt(cnnImagesPerSecond)} images/s)`,
    `Data wait (${SPEC} ${RECIPE}, ${fmt(WAIT_IMAGES)} images, 1 epoch, ${fmt(wait.imagesPerSecond)} images/s): ` +
      `${fmt((100 * wait.dataSeconds) / wait.seconds, 1)}% of the epoch waiting for batches ` +
      `(${fmt(wait.dataSeconds, 2)} s of ${fmt(wait.seconds, 2)} s)`,
  ];
}
