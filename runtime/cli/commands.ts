// The actions behind each CLI command.
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Diagnostic, GraphKind, Recipe } from '../../compiler/index.js';
import {
  compileInference,
  compileRecipe,
  GRAPH_KINDS,
  printRecipeGraphs,
  MAX_OPSET,
  MIN_OPSET,
  OpsetError,
} from '../../compiler/index.js';
import { DataError } from '../data/errors.js';
import type { ChannelStats } from '../data/transforms/pipeline.js';
import { needsStats } from '../data/transforms/pipeline.js';
import type { EpochMetrics } from '../train.js';
import { readSafetensors, writeFileAtomic } from '../weights.js';
import { prepareData } from './data.js';
import { dataRoots } from '../data/paths.js';
import { DataFacts, dataWarnings } from '../data/probe.js';
import type { LoadedSpec } from './load.js';
import { loadRecipe, printDiagnostics, readSpec } from './load.js';
import { UserError } from './errors.js';

const OPSET_DEFAULT = MAX_OPSET;

/**
 * `netspec check`: the checker's diagnostics and the data's (warnings; errors with `--data`,
 * which may also name folders to look for data in).
 */
export function checkCommand(
  path: string,
  options: { json?: boolean; data?: boolean | string[] },
): number {
  const checked = readSpec(path);
  const roots = dataRoots(Array.isArray(options.data) ? options.data : []);
  const probe = { roots, strict: options.data !== undefined };
  const data = dataWarnings(checked.spec, new DataFacts(), probe);
  const loaded = {
    ...checked,
    diagnostics: inFileOrder([...checked.diagnostics, ...data], checked),
  };
  if (options.json) process.stdout.write(JSON.stringify(loaded.diagnostics, null, 2) + '\n');
  else printDiagnostics(loaded);
  const failed = loaded.diagnostics.some((d) => d.severity === 'error');
  if (!options.json && !failed) process.stdout.write(`${path}: ok\n`);
  return failed ? 1 : 0;
}

/** Diagnostics file by file (the spec, then its imports), each file's by position. */
function inFileOrder(diagnostics: Diagnostic[], loaded: LoadedSpec): Diagnostic[] {
  const files = [...loaded.sources.keys()];
  return diagnostics.sort(
    (a, b) =>
      files.indexOf(a.file) - files.indexOf(b.file) || a.span.start.offset - b.span.start.offset,
  );
}

export interface CompileOptions {
  out: string;
  recipe?: string;
  /** Print the graphs' text form instead of writing files: `true` for all, or one kind. */
  print?: boolean | string;
}

export function compileCommand(path: string, options: CompileOptions): number {
  const { recipe } = loadRecipe(path, options.recipe);
  if (options.print) {
    const kinds = options.print === true ? GRAPH_KINDS : [graphKind(options.print)];
    process.stdout.write(printRecipeGraphs(recipe, kinds));
    return 0;
  }
  const compiled = compileRecipe(recipe);
  mkdirSync(options.out, { recursive: true });
  const { graphs } = compiled.manifest;
  for (const kind of GRAPH_KINDS)
    writeFileSync(join(options.out, graphs[kind].file), compiled[kind]);
  writeFileSync(
    join(options.out, `${recipe.name}.manifest.json`),
    JSON.stringify(compiled.manifest, null, 2),
  );
  const files = GRAPH_KINDS.map((kind) => graphs[kind].file).join(', ');
  process.stdout.write(`wrote ${files} and ${recipe.name}.manifest.json to ${options.out}\n`);
  return 0;
}

function graphKind(name: string): GraphKind {
  const kind = GRAPH_KINDS.find((k) => k === name);
  if (!kind) throw new UserError(`--print: no graph '${name}' (one of ${GRAPH_KINDS.join(', ')})`);
  return kind;
}

export { dataRoots } from '../data/paths.js';

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
