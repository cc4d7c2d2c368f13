// `netspec info`: a network's modules with their layers, output shapes, parameter counts and
// whether they train — for an ONNX file (imported as netspec would) or a spec's networks.

import { basename, resolve } from 'node:path';
import type { Model, Recipe } from '../../compiler/index.js';
import {
  checkSpec,
  hasErrors,
  OnnxReadError,
  onnxInputDims,
  onnxInputShape,
} from '../../compiler/index.js';
import { printDiagnostics, readBinary, readImport, readSpec } from './load.js';
import { UserError } from '../errors.js';
import { plural } from '../plural.js';
import { CODES } from '../../compiler/index.js';
import { alreadyReported } from '../errors.js';

export function infoCommand(file: string, options: { input?: string; network?: string }): number {
  if (file.endsWith('.onnx')) {
    const { model, note } = importForInfo(file, options.input);
    process.stdout.write((note ? `${note}\n` : '') + describeModel(model) + '\n');
    return 0;
  }
  const { models, recipes } = specModels(file, options.network);
  for (const model of models) {
    const staged = recipes.filter((r) => r.model === model && r.stages);
    const sections = [describeModel(model), ...staged.map(describeStages)];
    process.stdout.write(sections.join('\n\n') + '\n');
  }
  return 0;
}

function specModels(file: string, only: string | undefined) {
  const loaded = readSpec(file);
  printDiagnostics(loaded);
  if (hasErrors(loaded.diagnostics)) throw alreadyReported();
  const models = [...loaded.spec.networks.values()].filter((m) => !only || m.name === only);
  if (models.length === 0)
    throw new UserError(
      CODES.commandLine,
      `${file}: no network${only ? ` named '${only}'` : ''} to describe`,
    );
  return { models, recipes: [...loaded.spec.recipes.values()] };
}

/** The size a model with dynamic height and width is shown at: the size ImageNet models take. */
const DEFAULT_SIZE = 224;

/**
 * The input size to show a model at: `--input C,H,W`, the model's own fixed size, or, where its
 * height and width are dynamic, 224×224 — said in `note`.
 */
function inputFor(file: string, bytes: Uint8Array, input: string | undefined) {
  if (input) {
    const dims = input.split(',').map(Number);
    if (dims.length !== 3 || dims.some((d) => !Number.isInteger(d) || d <= 0))
      throw new UserError(
        CODES.commandLine,
        `--input ${input}: expected C,H,W, three positive whole numbers (e.g. 3,224,224)`,
      );
    return { dims };
  }
  const fixed = readingOnnx(file, () => onnxInputDims(bytes));
  if (fixed) return { dims: fixed };
  const shape = readingOnnx(file, () => onnxInputShape(bytes)) ?? [];
  const channels = typeof shape[0] === 'number' && shape[0] > 0 ? shape[0] : 3;
  const sizes = shape.slice(1).map((d) => (typeof d === 'number' && d > 0 ? d : DEFAULT_SIZE));
  const dims = [channels, ...(sizes.length === 2 ? sizes : [DEFAULT_SIZE, DEFAULT_SIZE])];
  const names = shape.map((d) => (typeof d === 'number' ? String(d) : d || '?')).join(', ');
  const note = `${file}: the input size is not fixed ([N, ${names}]); shown for [${dims.join(', ')}] — choose another with --input C,H,W`;
  return { dims, note };
}

/** `read`'s result; a file that is not a valid ONNX model is the user's error, naming it. */
function readingOnnx<T>(file: string, read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof OnnxReadError)
      throw new UserError(CODES.importProblem, `${file}: ${e.message}`);
    throw e;
  }
}

/** Imports the file through a one-line spec, so `info` sees exactly what a spec would. */
function importForInfo(file: string, input: string | undefined): { model: Model; note?: string } {
  const bytes = readBinary(file);
  if (!(bytes instanceof Uint8Array))
    throw new UserError(CODES.unreadableFile, `${file}: ${bytes.problem}`);
  const { dims, note } = inputFor(file, bytes, input);
  const name = basename(file, '.onnx').replace(/\W/g, '_').replace(/^(\d)/, '_$1');
  const text = `network ${name} = onnx(${JSON.stringify(resolve(file))}, shape: [${dims.join(', ')}]) {}\n`;
  const checked = checkSpec(text, '<info>', readImport, readBinary);
  if (hasErrors(checked.diagnostics)) {
    throw new UserError(
      CODES.importProblem,
      checked.diagnostics.map((d) => `${file}: ${d.message}`).join('\n'),
    );
  }
  return { model: checked.spec.networks.get(name)!, note };
}

const count = (shape: number[]) => shape.reduce((n, d) => n * d, 1);
const fmt = (n: number) => n.toLocaleString('en-US');

/** Trainable parameters (buffers excluded) of each module with any. */
function parameterCounts(model: Model): Map<string, number> {
  const counts = new Map<string, number>();
  for (const node of model.layers) {
    const params = node.params.filter((p) => p.kind !== 'buffer');
    if (params.length > 0)
      counts.set(
        node.path,
        params.reduce((n, p) => n + count(p.shape), 0),
      );
  }
  return counts;
}

/** A recipe's `unfreeze … after` stages: what trains from which epoch. */
export function describeStages(recipe: Recipe): string {
  const counts = parameterCounts(recipe.model);
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const frozen = new Set(recipe.model.layers.filter((n) => n.frozen).map((n) => n.path));
  const sum = (paths: Iterable<string>) => [...paths].reduce((n, p) => n + (counts.get(p) ?? 0), 0);
  const trainable = () => fmt(total - sum(frozen));
  const lines = [`recipe ${recipe.name} trains ${recipe.model.name} in stages:`];
  lines.push(`  epoch 1 on: ${trainable()} trainable parameters`);
  for (const stage of recipe.stages ?? []) {
    const paths = stage.paths.filter((p) => frozen.delete(p));
    const shown = paths.length > 4 ? [...paths.slice(0, 4), '…'] : paths;
    lines.push(
      `  epoch ${stage.after + 1} on: + ${shown.join(', ')} (${plural(paths.length, 'module')}, ${fmt(sum(paths))} parameters) → ${trainable()} trainable`,
    );
  }
  return lines.join('\n');
}

export function describeModel(model: Model): string {
  const rows = [['module', 'layer', 'output shape', 'parameters', 'trains']];
  let trainable = 0;
  let frozen = 0;
  let buffers = 0;
  const counts = parameterCounts(model);
  for (const node of model.layers) {
    const params = counts.get(node.path) ?? 0;
    buffers += node.params
      .filter((p) => p.kind === 'buffer')
      .reduce((n, p) => n + count(p.shape), 0);
    const isFrozen = node.frozen === true;
    if (isFrozen) frozen += params;
    else trainable += params;
    const kind = node.def.name;
    const trains = params === 0 ? '' : isFrozen ? 'frozen' : 'yes';
    rows.push([
      node.path,
      kind,
      `[${node.outputShape.join(', ')}]`,
      params ? fmt(params) : '',
      trains,
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const lines = rows.map((r) =>
    r
      .map((cell, i) => (i === 3 ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd(),
  );
  const total = trainable + frozen;
  lines.unshift(
    `network ${model.name}: input ${model.input.name} [${model.input.shape.join(', ')}]`,
  );
  lines.push(
    `${fmt(total)} parameters: ${fmt(trainable)} trainable, ${fmt(frozen)} frozen; ${fmt(buffers)} buffer values`,
  );
  return lines.join('\n');
}
