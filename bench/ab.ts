// Interleaved A/B runs of a recipe's train step compiled two ways, in one process: each round
// runs every variant once on the same feeds, in turn (the order alternating between rounds), so
// load from other processes falls on all of them alike. Prints each variant's median time per
// step and the median of the per-round ratios to the first variant, with their range. This is
// how lowering decisions are taken (docs/decisions/).
//
//   node dist/bench/ab.js <spec> <recipe> <comparison> [--threads N] [--rounds N] [--batch N] [--cpu]
//
// Comparisons: `conv` (standard ops against the blocked CPU kernel).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { CompiledRecipe, Recipe } from '../compiler/index.js';
import { checkSpec, compileRecipe } from '../compiler/index.js';
import type { StepCompileOptions } from '../compiler/index.js';
import { readBinary, readImport } from '../runtime/cli/load.js';
import { cpuConvLowering } from '../runtime/blocked-probe.js';
import { createSession, ort } from '../runtime/session.js';
import type { Feeds } from '../runtime/train-state.js';
import { initialState } from '../runtime/train-state.js';
import { median } from './language.js';

export type Variants = Record<string, StepCompileOptions>;

const COMPARISONS: Record<string, () => Promise<Variants>> = {
  conv: async () => ({ standard: {}, blocked: { conv: await cpuConvLowering() } }),
};

export function loadRecipe(specPath: string, name: string): Recipe {
  const path = resolve(specPath);
  const { spec, diagnostics } = checkSpec(readFileSync(path, 'utf8'), path, readImport, readBinary);
  const recipe = spec.recipes.get(name);
  if (!recipe) throw new Error(`${path} has no recipe ${name} (${diagnostics.length} diagnostics)`);
  return recipe;
}

/** The train step's feeds for one batch of `batch` random images. */
export function stepFeeds(recipe: Recipe, compiled: CompiledRecipe, batch: number): Feeds {
  const feeds = initialState(recipe, compiled);
  const shape = recipe.model.input.shape.map((d) => (d === 'N' ? batch : d));
  const pixels = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) =>
    Math.abs(Math.sin(i * 0.731)),
  );
  const classes = 10;
  feeds[recipe.model.input.name] = new ort.Tensor('float32', pixels, shape);
  feeds.labels = new ort.Tensor(
    'int64',
    BigInt64Array.from({ length: batch }, (_, i) => BigInt(i % classes)),
    [batch],
  );
  feeds.lr = new ort.Tensor('float32', Float32Array.of(compiled.manifest.learningRate), []);
  feeds.step = new ort.Tensor('int64', BigInt64Array.of(1n), []);
  return feeds;
}

export interface AbResult {
  name: string;
  /** Median milliseconds per step. */
  median: number;
  /** The fastest step: interference from other processes only ever adds time. */
  fastest: number;
  /** Per-round time ÷ the first variant's: median, lowest, highest. */
  ratio: [median: number, low: number, high: number];
}

/**
 * Milliseconds of wall time, or of this process's CPU time: on a loaded machine a 1-thread
 * run's CPU time still measures its work, where its wall time measures the other processes too.
 */
function clock(cpu: boolean): number {
  if (!cpu) return performance.now();
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

export async function abSteps(
  recipe: Recipe,
  variants: Variants,
  options: { threads: number; rounds: number; batch: number; cpu: boolean },
): Promise<AbResult[]> {
  const runs: { name: string; session: ort.InferenceSession; feeds: Feeds; times: number[] }[] = [];
  for (const [name, compile] of Object.entries(variants)) {
    const compiled = compileRecipe(recipe, compile);
    const session = await createSession(compiled.train, {
      device: 'cpu',
      threads: options.threads,
    });
    const feeds = stepFeeds(recipe, compiled, options.batch);
    await session.run(feeds); // plans and allocates
    await session.run(feeds);
    runs.push({ name, session, feeds, times: [] });
  }
  for (let round = 0; round < options.rounds; round++) {
    const order = round % 2 === 0 ? runs : [...runs].reverse();
    for (const run of order) {
      const start = clock(options.cpu);
      await run.session.run(run.feeds);
      run.times.push(clock(options.cpu) - start);
    }
  }
  return runs.map((run) => {
    const ratios = run.times.map((t, i) => t / runs[0].times[i]);
    return {
      name: run.name,
      median: median(run.times),
      fastest: Math.min(...run.times),
      ratio: [median(ratios), Math.min(...ratios), Math.max(...ratios)],
    };
  });
}

export function abLine(results: AbResult[]): string {
  return results
    .map(
      (r) =>
        `${r.name} ${r.median.toFixed(1)} ms (fastest ${r.fastest.toFixed(1)})` +
        (r === results[0]
          ? ''
          : ` (${r.ratio[0].toFixed(3)}×, ${r.ratio[1].toFixed(3)}–${r.ratio[2].toFixed(3)})`),
    )
    .join('; ');
}

async function main() {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      threads: { type: 'string', default: '2' },
      rounds: { type: 'string', default: '15' },
      batch: { type: 'string', default: '64' },
      cpu: { type: 'boolean', default: false },
    },
  });
  const [spec, name, comparison] = positionals;
  const recipe = loadRecipe(spec, name);
  const variants = await COMPARISONS[comparison]();
  const results = await abSteps(recipe, variants, {
    threads: Number(values.threads),
    rounds: Number(values.rounds),
    batch: Number(values.batch),
    cpu: values.cpu,
  });
  const clock = values.cpu ? 'CPU time' : 'wall time';
  console.log(`${name} (${spec}), ${values.threads} threads, ${clock}: ${abLine(results)}`);
}

if (process.argv[1] === import.meta.filename) await main();
