// Per-channel statistics of the training split for Normalize(mean: auto, std: auto): avg and
// population std as in the seed's formulas (std = ‖x − avg(x)·1‖/√n), over the tensor values
// after the deterministic steps that precede Normalize. Cached beside the spec, keyed by a
// hash of the pixels and those steps, so a second run does not recompute them.
import { createHash } from 'node:crypto';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { TransformStep } from '../../compiler/index.js';
import { readText } from '../files.js';
import { writeFileAtomic, WriteError } from '../writes.js';
import type { Pixels, Split } from './sources.js';
import type { ChannelStats } from './transforms/pipeline.js';
import { pipeline } from './transforms/pipeline.js';
import { pixelsToImage, readPixels } from './batches.js';

/**
 * The split in order, a few megabytes of examples at a time: one sequential read each for a
 * streamed split (statistics never need it all in memory), views for one in memory.
 */
function* chunks(split: Split): Generator<[number, (k: number) => Pixels, number]> {
  const size = split.imageShape.reduce((a, b) => a * b, 1);
  const step = Math.max(1, Math.floor((1 << 22) / size));
  for (let first = 0; first < split.count; first += step) {
    const n = Math.min(step, split.count - first);
    const indices = new Uint32Array(n);
    for (let k = 0; k < n; k++) indices[k] = first + k;
    yield [first, readPixels(split, indices), n];
  }
}

/** The deterministic steps before the first Normalize: what its statistics are taken after. */
export function statsPrefix(steps: TransformStep[]): TransformStep[] {
  const end = steps.findIndex((s) => s.name === 'Normalize');
  return steps
    .slice(0, end < 0 ? steps.length : end)
    .filter((s) => !s.trainOnly && s.name !== 'ToTensor');
}

export function computeStats(split: Split, prefix: TransformStep[]): ChannelStats {
  // Float pixels (a float32 spreadsheet) have no 256 values to count.
  const wholeNumbers = split.store !== undefined || split.images instanceof Uint8Array;
  return prefix.length === 0 && wholeNumbers
    ? histogramStats(split)
    : transformedStats(split, prefix);
}

/** Exact statistics of raw pixels from one 256-bin histogram per channel. */
function histogramStats(split: Split): ChannelStats {
  const [channels, h, w] = split.imageShape;
  const plane = h * w;
  const counts = Array.from({ length: channels }, () => new Float64Array(256));
  for (const [, pixels, n] of chunks(split)) {
    for (let k = 0; k < n; k++) {
      const image = pixels(k);
      for (let c = 0; c < channels; c++) {
        const hist = counts[c];
        for (let p = c * plane; p < (c + 1) * plane; p++) hist[image[p]]++;
      }
    }
  }
  const n = split.count * plane;
  const mean = counts.map((hist) => hist.reduce((s, k, v) => s + k * v * split.scale, 0) / n);
  const std = counts.map((hist, c) =>
    Math.sqrt(hist.reduce((s, k, v) => s + k * (v * split.scale - mean[c]) ** 2, 0) / n),
  );
  return { mean, std };
}

/** One pass of float64 sums and squares (values are in a small range: no cancellation trouble). */
function transformedStats(split: Split, prefix: TransformStep[]): ChannelStats {
  const run = pipeline(prefix, false);
  const sums = new Float64Array(3);
  const squares = new Float64Array(3);
  let n = 0;
  let seen = 0;
  for (const [, pixels, count] of chunks(split)) {
    for (let k = 0; k < count; k++) {
      const img = run(pixelsToImage(split, pixels(k)), null as never);
      const plane = img.h * img.w;
      seen = img.c;
      n += plane;
      for (let c = 0; c < img.c; c++) {
        for (let p = c * plane; p < (c + 1) * plane; p++) {
          sums[c] += img.data[p];
          squares[c] += img.data[p] * img.data[p];
        }
      }
    }
  }
  const mean = Array.from(sums.subarray(0, seen), (s) => s / n);
  const std = mean.map((m, c) => Math.sqrt(Math.max(0, squares[c] / n - m * m)));
  return { mean, std };
}

/** Statistics from the cache, or computed and stored there. `cached` says which. */
export function trainingStats(
  split: Split,
  steps: TransformStep[],
  specFile: string,
): ChannelStats & { cached: boolean } {
  const prefix = statsPrefix(steps);
  const hash = createHash('sha256');
  hash.update(
    JSON.stringify({
      shape: split.imageShape,
      scale: split.scale,
      prefix: prefix.map((s) => [s.name, s.args]),
    }),
  );
  // A streamed split is keyed by its files' identity (path, size, time): hashing its contents
  // would read it all once more.
  hash.update(split.store ? `store:${split.store.fingerprint()}` : split.images);
  const key = hash.digest('hex').slice(0, 32);
  const dirs = cacheDirs(specFile);
  for (const dir of dirs) {
    try {
      const stored = JSON.parse(readText(join(dir, `stats-${key}.json`), 'cache')) as ChannelStats;
      return { ...stored, cached: true };
    } catch {
      // not cached there
    }
  }
  const stats = computeStats(split, prefix);
  const dir = dirs.find(writable);
  try {
    if (dir) writeFileAtomic(join(dir, `stats-${key}.json`), JSON.stringify(stats) + '\n');
  } catch (e) {
    // The cache saves time only: a full disk there does not stop the run.
    if (!(e instanceof WriteError)) throw e;
  }
  return { ...stats, cached: false };
}

/** `.netspec-cache/` next to the spec, then $XDG_CACHE_HOME/netspec (~/.cache/netspec). */
export function cacheDirs(specFile: string): string[] {
  const xdg = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return [join(dirname(resolve(specFile)), '.netspec-cache'), join(xdg, 'netspec')];
}

export function writable(dir: string): boolean {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
