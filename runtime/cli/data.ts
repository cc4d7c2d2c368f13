// `netspec data <spec>`: what a dataset holds (counts, classes, shape, pixel statistics) and a
// grid of samples after the transforms; and the data preparation `train` shares with it.
import { writeFileAtomic } from '../writes.js';
import type { DatasetSpec, Recipe, TransformSpec } from '../../compiler/index.js';
import { batches, epochOrder } from '../data/batches.js';
import type { LoadedData } from '../data/dataset.js';
import { loadDataset } from '../data/dataset.js';
import { gridPng, gridScale } from '../data/grid.js';
import { trainingStats } from '../data/stats.js';
import { describeData } from '../data/summary.js';
import type { ChannelStats } from '../data/transforms/pipeline.js';
import { needsStats } from '../data/transforms/pipeline.js';
import { hasErrors } from '../../compiler/index.js';
import { printDiagnostics, readSpec } from './load.js';
import { UserError } from '../errors.js';
import { CODES } from '../../compiler/index.js';
import { alreadyReported } from '../errors.js';

export type PreparedData = LoadedData & { stats?: ChannelStats };

/** Loads a recipe's data and, when Normalize uses `auto`, the training statistics (cached). */
export function prepareData(recipe: Recipe, specPath: string, roots: string[]): PreparedData {
  const data = loadDataset(recipe.dataset, recipe.model, roots, recipe.transform);
  return { ...data, stats: statsFor(data, recipe.transform, specPath) };
}

function statsFor(data: LoadedData, transform: TransformSpec | undefined, specPath: string) {
  if (!transform || !needsStats(transform.steps)) return undefined;
  return trainingStats(data.train, transform.steps, specPath);
}

export interface DataCommandOptions {
  dataset?: string;
  grid?: string;
  data: string[];
}

export function dataCommand(path: string, options: DataCommandOptions, roots: string[]): number {
  const loaded = readSpec(path);
  printDiagnostics(loaded);
  if (hasErrors(loaded.diagnostics)) throw alreadyReported();
  const { spec } = loaded;
  const dataset = pickDataset(spec.datasets, options.dataset, path);
  // The transform a recipe applies to this dataset, if any recipe does.
  const recipe = [...spec.recipes.values()].find(
    (r) => r.dataset.name === dataset.name && r.transform,
  );
  const transform = recipe?.transform;
  const data = loadDataset(dataset, undefined, roots, transform);
  const lines = describeData(dataset.name, data);
  const stats = statsFor(data, transform, path);
  if (transform && stats) {
    const fmt = (xs: number[]) => xs.map((x) => x.toFixed(4)).join(', ');
    lines.push(
      `  normalize  mean [${fmt(stats.mean)}]  std [${fmt(stats.std)}]  (auto, for transform ${transform.name}${stats.cached ? ', cached' : ''})`,
    );
  }
  if (transform)
    lines.push(
      `  transform  ${transform.name}: ${transform.steps.map((s) => s.name + (s.trainOnly ? '*' : '')).join(' → ')}  (* training only)`,
    );
  if (options.grid) {
    const order = epochOrder(data.train.count, true, recipe?.seed ?? 0, 1).subarray(0, 64);
    const feeding = {
      steps: transform?.steps,
      training: true,
      stats,
      seed: recipe?.seed ?? 0,
      epoch: 1,
    };
    const batch = batches(data.train, order, 64, feeding).next().value!;
    const names = Array.from(order.subarray(0, batch.size), (i) => {
      const label = data.train.labels[i];
      return data.classNames?.[label] ?? String(label);
    });
    const normalize = normalization(transform, stats);
    const scale = gridScale(batch.shape[2]);
    writeFileAtomic(options.grid, gridPng(batch, { names, normalize, scale }));
    const after = transform ? ` after ${transform.name}` : '';
    const undone = normalize ? '; Normalize undone for display (x·std + mean)' : '';
    lines.push(
      `  grid       ${options.grid}: ${batch.size} training samples${after}, ${scale}× enlarged, labelled with their class${undone}`,
    );
  }
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}

/** The transform's Normalize mean and std as resolved (auto: the training statistics). */
function normalization(transform: TransformSpec | undefined, stats: ChannelStats | undefined) {
  const step = transform?.steps.find((s) => s.name === 'Normalize');
  if (!step) return undefined;
  const resolve = (value: unknown, auto: number[] | undefined) =>
    value === 'auto' ? auto! : (value as number[]);
  return { mean: resolve(step.args.mean, stats?.mean), std: resolve(step.args.std, stats?.std) };
}

function pickDataset(
  datasets: ReadonlyMap<string, DatasetSpec>,
  name: string | undefined,
  path: string,
): DatasetSpec {
  const names = [...datasets.keys()].join(', ') || 'none';
  if (name !== undefined) {
    const found = datasets.get(name);
    if (!found)
      throw new UserError(
        CODES.commandLine,
        `${path}: no dataset named '${name}' (found: ${names})`,
      );
    return found;
  }
  if (datasets.size === 1) return [...datasets.values()][0];
  if (datasets.size === 0)
    throw new UserError(CODES.commandLine, `${path}: the spec has no dataset`);
  throw new UserError(
    CODES.commandLine,
    `${path}: the spec has several datasets (${names}); choose one with --dataset`,
  );
}
