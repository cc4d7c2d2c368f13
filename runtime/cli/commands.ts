// The actions behind each CLI command.
import { basename, join } from 'node:path';
import type { Diagnostic, GraphKind, Model, Recipe, Target } from '../../compiler/index.js';
import {
  compileInference,
  compileRecipe,
  GRAPH_KINDS,
  hasErrors,
  initialParameters,
  printRecipeGraphs,
  MAX_OPSET,
  MIN_OPSET,
  OpsetError,
} from '../../compiler/index.js';
import type { ChannelStats } from '../data/transforms/pipeline.js';
import { needsStats } from '../data/transforms/pipeline.js';
import type { EpochMetrics } from '../train.js';
import { makeFolder, writeFileAtomic } from '../writes.js';
import { prepareData } from './data.js';
import { dataRoots } from '../data/paths.js';
import { DataFacts, dataWarnings } from '../data/probe.js';
import type { LoadedSpec } from './load.js';
import { loadRecipe, loadTrainedWeights, printDiagnostics, readSpec } from './load.js';
import { UserError } from '../errors.js';
import { CODES } from '../../compiler/index.js';
import { alreadyReported } from '../errors.js';

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
  /** The device the graphs are for: the ops it runs natively (default cpu). */
  device?: Target;
}

export function compileCommand(path: string, options: CompileOptions): number {
  const { loaded, recipe } = loadRecipe(path, options.recipe);
  const target = { target: options.device ?? 'cpu' };
  if (options.print) {
    const kinds = options.print === true ? GRAPH_KINDS : [graphKind(options.print)];
    process.stdout.write(printRecipeGraphs(recipe, kinds, target));
    return 0;
  }
  const compiled = compileRecipe(recipe, target);
  printDiagnostics({ ...loaded, diagnostics: compiled.warnings });
  makeFolder(options.out);
  const { graphs } = compiled.manifest;
  const kinds = GRAPH_KINDS.filter((kind) => graphs[kind] !== undefined);
  for (const kind of kinds) writeFileAtomic(join(options.out, graphs[kind]!.file), compiled[kind]!);
  writeFileAtomic(
    join(options.out, `${recipe.name}.manifest.json`),
    JSON.stringify(compiled.manifest, null, 2),
  );
  const files = kinds.map((kind) => graphs[kind]!.file).join(', ');
  process.stdout.write(`wrote ${files} and ${recipe.name}.manifest.json to ${options.out}\n`);
  return 0;
}

function graphKind(name: string): GraphKind {
  const kind = GRAPH_KINDS.find((k) => k === name);
  if (!kind)
    throw new UserError(
      CODES.commandLine,
      `--print: no graph '${name}' (one of ${GRAPH_KINDS.join(', ')})`,
    );
  return kind;
}

export { dataRoots } from '../data/paths.js';

const percent = (x: number) => `${(100 * x).toFixed(2)}%`;

/**
 * `epoch 2/10  train loss 0.4123 acc 85.10% (penalty 0.0311)  test loss …`: the data loss, with
 * the terms the optimizer also minimized beside it, never added in.
 */
export function epochLine(m: EpochMetrics, epochs: number): string {
  const held = (name: string, loss?: number, accuracy?: number) =>
    loss === undefined ? '' : `  ${name} loss ${loss.toFixed(4)} acc ${percent(accuracy!)}`;
  const speed = `${Math.round(m.imagesPerSecond).toLocaleString('en-US')} img/s`;
  const terms = Object.entries(m.terms ?? {}).map(
    ([t, v]) => `${t.replace('_', ' ')} ${v.toFixed(4)}`,
  );
  const train = `train loss ${m.trainLoss.toFixed(4)} acc ${percent(m.trainAccuracy)}${terms.length ? ` (${terms.join(', ')})` : ''}`;
  const others = held('val', m.valLoss, m.valAccuracy) + held('test', m.testLoss, m.testAccuracy);
  const part = m.partial ? ` (stopped after ${m.partial.steps} of its ${m.partial.of} steps)` : '';
  return `epoch ${m.epoch}/${epochs}${part}  ${train}${others}  ${speed}  ${m.seconds.toFixed(1)}s`;
}

export interface ExportOptions {
  out: string;
  weights?: string;
  recipe?: string;
  /** A network of the spec, exported without a train block. */
  network?: string;
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
  model: Model,
  recipe?: Recipe,
  stats?: ChannelStats,
  classNames?: string[],
): Record<string, string> {
  const { input } = model;
  const metadata: Record<string, string> = {
    'netspec.spec': basename(path),
    ...(recipe ? { 'netspec.recipe': recipe.name } : {}),
    'netspec.model': model.name,
    'netspec.input': JSON.stringify({
      name: input.name,
      shape: input.shape,
      dtype: 'float32',
      // as ToTensor gives them: pixel values ÷ 255 (or a CSV's scale), before the steps below
      range: [0, 1],
    }),
  };
  const classes = recipe?.dataset.classes ?? classNames;
  if (classes) metadata['netspec.classes'] = JSON.stringify(classes);
  // Without a train block there is no data and no transform: none is recorded.
  if (!recipe) return metadata;
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
  if (options.opset !== undefined && (options.opset < MIN_OPSET || options.opset > MAX_OPSET)) {
    throw new UserError(
      CODES.commandLine,
      `--opset ${options.opset}: netspec exports opsets ${MIN_OPSET} to ${MAX_OPSET}`,
    );
  }
  const { model, recipe } = options.network
    ? { model: networkOf(path, options.network), recipe: undefined }
    : recipeModel(path, options.recipe);
  // A train block's model is exported with its trained weights; a network alone with its own
  // values (an ONNX import's pretrained ones) unless --weights gives others.
  const weights =
    recipe || options.weights
      ? loadTrainedWeights(model, path, options.weights, recipe?.name ?? model.name)
      : initialParameters(model, 0);
  const data = recipe ? metadataData(recipe, path, options.data ?? []) : undefined;
  const metadata = exportMetadata(path, model, recipe, data?.stats, data?.classNames);
  let bytes: Uint8Array;
  try {
    bytes = compileInference(model, weights, metadata, options.opset);
  } catch (e) {
    if (e instanceof OpsetError)
      throw new UserError(CODES.commandLine, `${path}: --opset ${options.opset}: ${e.message}`);
    throw e;
  }
  writeFileAtomic(options.out, bytes);
  const from = recipe || options.weights ? '' : `, ${ownValues(model)}`;
  process.stdout.write(
    `wrote ${options.out} (opset ${options.opset ?? OPSET_DEFAULT}${data?.stats ? ', Normalize statistics from the training data' : ''}${from})\n`,
  );
  return 0;
}

function recipeModel(path: string, name: string | undefined) {
  const { recipe } = loadRecipe(path, name);
  return { model: recipe.model, recipe };
}

/** `--network R`: a network of the spec whose parameters all have defaults. */
function networkOf(path: string, name: string): Model {
  const loaded = readSpec(path);
  printDiagnostics(loaded);
  if (hasErrors(loaded.diagnostics)) throw alreadyReported();
  const model = loaded.spec.networks.get(name);
  if (!model) {
    const known = [...loaded.spec.networks.keys()].join(', ') || 'none';
    throw new UserError(CODES.commandLine, `${path}: no network named '${name}' (found: ${known})`);
  }
  return model;
}

/** Where a network's weights came from when nothing trained them. */
function ownValues(model: Model): string {
  const initial = model.initial ?? new Map<string, Float32Array>();
  if (initial.size === 0) return 'initial weights (seed 0), not trained';
  // Layers that surgery replaced or inserted have none of their tensors in the ONNX file.
  const fresh = model.layers.filter(
    (n) => n.params.length > 0 && n.params.every((p) => !initial.has(`${n.path}.${p.name}`)),
  );
  if (fresh.length === 0) return 'the imported weights';
  return `the imported weights; new layers ${fresh.map((n) => n.path).join(', ')} initialized (seed 0), not trained`;
}

/** Normalize(auto)'s statistics and an image folder's class names, when the metadata needs them. */
function metadataData(recipe: Recipe, path: string, roots: string[]) {
  // Normalize(auto) is resolved from the training data's statistics (cached after a run).
  const steps = recipe.transform?.steps;
  const statsNeeded = Boolean(steps && needsStats(steps));
  // Class names come from the spec, or from an image folder's subfolders.
  const namesFromFolders = !recipe.dataset.classes && recipe.dataset.train.kind === 'images';
  if (!statsNeeded && !namesFromFolders) return undefined;
  return loadForMetadata(recipe, path, roots, statsNeeded);
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
    if (e instanceof UserError)
      throw new UserError(
        e.code,
        `${path}: Normalize(auto) needs the training data's statistics, and the data could not be read: ${e.message}`,
      );
    throw e;
  }
}
