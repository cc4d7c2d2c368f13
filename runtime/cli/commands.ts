// The actions behind each CLI command.
import { basename, join } from 'node:path';
import type { Recipe } from '../../compiler/index.js';
import {
  compileInference,
  compileRecipe,
  MAX_OPSET,
  MIN_OPSET,
  OpsetError,
} from '../../compiler/index.js';
import { DataError } from '../data/errors.js';
import type { ChannelStats } from '../data/transforms/pipeline.js';
import { needsStats } from '../data/transforms/pipeline.js';
import type { EpochMetrics } from '../train.js';
import { readSafetensors } from '../weights.js';
import { makeFolder, writeFileAtomic } from '../files.js';
import { prepareData } from './data.js';
import { loadRecipe, printDiagnostics, readSpec, UserError } from './load.js';

const OPSET_DEFAULT = MAX_OPSET;

export function checkCommand(path: string, options: { json?: boolean }): number {
  const loaded = readSpec(path);
  if (options.json) process.stdout.write(JSON.stringify(loaded.diagnostics, null, 2) + '\n');
  else printDiagnostics(loaded);
  const failed = loaded.diagnostics.some((d) => d.severity === 'error');
  if (!options.json && !failed) process.stdout.write(`${path}: ok\n`);
  return failed ? 1 : 0;
}

export function compileCommand(path: string, options: { out: string; recipe?: string }): number {
  const { recipe } = loadRecipe(path, options.recipe);
  const compiled = compileRecipe(recipe);
  makeFolder(options.out);
  const { graphs } = compiled.manifest;
  const kinds = ['train', 'steps', 'eval', 'infer'] as const;
  for (const kind of kinds) writeFileAtomic(join(options.out, graphs[kind].file), compiled[kind]);
  writeFileAtomic(
    join(options.out, `${recipe.name}.manifest.json`),
    JSON.stringify(compiled.manifest, null, 2),
  );
  const files = kinds.map((kind) => graphs[kind].file).join(', ');
  process.stdout.write(`wrote ${files} and ${recipe.name}.manifest.json to ${options.out}\n`);
  return 0;
}

export function dataRoots(fromCli: string[]): string[] {
  const fromEnv = process.env.NETSPEC_DATA
    ? process.env.NETSPEC_DATA.split(':').filter(Boolean)
    : [];
  return [...fromCli, ...fromEnv];
}

const percent = (x: number) => `${(100 * x).toFixed(2)}%`;

export function epochLine(m: EpochMetrics, epochs: number): string {
  const held = (name: string, loss?: number, accuracy?: number) =>
    loss === undefined ? '' : `  ${name} loss ${loss.toFixed(4)} acc ${percent(accuracy!)}`;
  const speed = `${Math.round(m.imagesPerSecond).toLocaleString('en-US')} img/s`;
  const train = `train loss ${m.trainLoss.toFixed(4)} acc ${percent(m.trainAccuracy)}`;
  const others = held('val', m.valLoss, m.valAccuracy) + held('test', m.testLoss, m.testAccuracy);
  return `epoch ${m.epoch}/${epochs}  ${train}${others}  ${speed}  ${m.seconds.toFixed(1)}s`;
}

export interface ExportOptions {
  out: string;
  weights?: string;
  recipe?: string;
  /** Default-domain opset to write (default 18). */
  opset?: number;
  data?: string[];
}

/**
 * What makes the exported file self-describing (ONNX metadata_props): the spec, recipe and
 * model, the classes, the input (name, shape, value range) and the preprocessing evaluation
 * applies — the Normalize mean and std per channel as resolved, `auto` included.
 */
export function exportMetadata(
  path: string,
  recipe: Recipe,
  stats?: ChannelStats,
  classNames?: string[],
): Record<string, string> {
  const { input } = recipe.model;
  const metadata: Record<string, string> = {
    'netspec.spec': basename(path),
    'netspec.recipe': recipe.name,
    'netspec.model': recipe.model.name,
    'netspec.input': JSON.stringify({
      name: input.name,
      shape: input.shape,
      dtype: 'float32',
      // as ToTensor gives them: pixel values ÷ 255 (or a CSV's scale), before the steps below
      range: [0, 1],
    }),
  };
  const classes = recipe.dataset.classes ?? classNames;
  if (classes) metadata['netspec.classes'] = JSON.stringify(classes);
  const steps = (recipe.transform?.steps ?? []).filter((s) => !s.trainOnly);
  const resolved = steps.map((s) => {
    const args = { ...s.args };
    if (s.name === 'Normalize') {
      if (args.mean === 'auto') args.mean = stats!.mean;
      if (args.std === 'auto') args.std = stats!.std;
    }
    return { name: s.name, args };
  });
  metadata['netspec.preprocessing'] = JSON.stringify(resolved);
  const normalize = resolved.find((s) => s.name === 'Normalize');
  metadata['netspec.normalization'] = JSON.stringify(
    normalize ? { mean: normalize.args.mean, std: normalize.args.std } : null,
  );
  return metadata;
}

export function exportCommand(path: string, options: ExportOptions): number {
  const { recipe } = loadRecipe(path, options.recipe);
  if (options.opset !== undefined && (options.opset < MIN_OPSET || options.opset > MAX_OPSET)) {
    throw new UserError(
      `--opset ${options.opset}: netspec exports opsets ${MIN_OPSET} to ${MAX_OPSET}`,
    );
  }
  const weightsPath = options.weights ?? join('runs', recipe.name, 'weights.safetensors');
  let stored;
  try {
    stored = readSafetensors(weightsPath);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const hint =
      code === 'ENOENT'
        ? `no such file; train first (netspec train ${path}) or pass --weights`
        : (e as Error).message;
    throw new UserError(`${weightsPath}: ${hint}`);
  }
  const weights = new Map<string, Float32Array>();
  for (const [name, t] of stored) weights.set(name, t.data);
  const expected = compileRecipe(recipe).manifest.parameters;
  for (const p of expected) {
    const t = stored.get(p.name);
    if (!t)
      throw new UserError(
        `${weightsPath}: has no tensor '${p.name}', which ${recipe.model.name} needs`,
      );
    if (t.shape.join() !== p.shape.join()) {
      throw new UserError(
        `${weightsPath}: '${p.name}' has shape [${t.shape}], but ${recipe.model.name} needs [${p.shape}]`,
      );
    }
  }
  // Normalize(auto) is resolved from the training data's statistics (cached after a run).
  const steps = recipe.transform?.steps;
  const statsNeeded = Boolean(steps && needsStats(steps));
  // Class names come from the spec, or from an image folder's subfolders.
  const namesFromFolders = !recipe.dataset.classes && recipe.dataset.train.kind === 'images';
  const data =
    statsNeeded || namesFromFolders
      ? loadForMetadata(recipe, path, options.data ?? [], statsNeeded)
      : undefined;
  const metadata = exportMetadata(path, recipe, data?.stats, data?.classNames);
  let bytes: Uint8Array;
  try {
    bytes = compileInference(recipe.model, weights, metadata, options.opset);
  } catch (e) {
    if (e instanceof OpsetError)
      throw new UserError(`${path}: --opset ${options.opset}: ${e.message}`);
    throw e;
  }
  writeFileAtomic(options.out, bytes);
  process.stdout.write(
    `wrote ${options.out} (opset ${options.opset ?? OPSET_DEFAULT}${data?.stats ? ', Normalize statistics from the training data' : ''})\n`,
  );
  return 0;
}

/**
 * The training data, for the metadata only: Normalize(auto)'s statistics (required) and class
 * names from an image folder (optional: without the data the classes are left out).
 */
function loadForMetadata(recipe: Recipe, path: string, roots: string[], required: boolean) {
  try {
    return prepareData(recipe, path, dataRoots(roots));
  } catch (e) {
    if (!required) return undefined;
    if (e instanceof DataError)
      throw new UserError(
        `${path}: Normalize(auto) needs the training data's statistics, and the data could not be read: ${e.message}`,
      );
    throw e;
  }
}
