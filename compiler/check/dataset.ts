// Checks a `dataset` declaration: its splits (each a data source call, or for validation a
// `split` of train) and its class names.
import type { Assignment, CallExpr, DatasetDecl, Diagnostic } from '../../grammar/index.js';
import { diagnostic } from '../../grammar/index.js';
import { CODES } from '../codes.js';
import { bindArgs } from './args.js';
import { didYouMean } from './names.js';
import { evaluate, EvalError } from './values.js';
import type { ArgSpec, BoundArgs } from '../vocabulary/args.js';
import { boolArg, numberArg, stringArg } from '../vocabulary/args.js';
import type { SpecValue } from '../vocabulary/values.js';
import { bool, int, num } from '../vocabulary/values.js';
import type { DataFile, DataSource, DatasetSpec, SplitSource, Take } from '../vocabulary/model.js';
import type { SourceDef } from '../vocabulary/defs.js';
import { registry } from '../vocabulary/registry.js';

const NONE: SpecValue = { t: 'name', name: 'None' };
const MNIST_SHAPE: SpecValue = { t: 'list', items: [int(1), int(28), int(28)] };
const str = (v: string): SpecValue => ({ t: 'str', v });
const streamArg: ArgSpec = {
  name: 'stream',
  type: 'any',
  default: { t: 'auto' },
  doc: 'read examples from disk on demand instead of into memory: true, false, or auto (when the data would not fit a memory budget)',
};
/** `take: 5000` or `take: 10%`: a seeded subset of a source or split, optionally stratified. */
const TAKE_ARGS: ArgSpec[] = [
  {
    name: 'take',
    type: 'any',
    default: NONE,
    doc: 'use only part of the examples: a count (5000) or a fraction (10%), chosen at random with take_seed',
  },
  { name: 'take_seed', type: 'int', default: int(0), doc: 'seed of the take choice', min: 0 },
  {
    name: 'take_stratify',
    type: 'bool',
    default: bool(false),
    doc: 'take the same share of every class',
  },
];
const shapeArg: ArgSpec = {
  name: 'shape',
  type: 'shape',
  default: MNIST_SHAPE,
  doc: 'image shape [channels, height, width]',
};

/** The data-source registry: what can stand on the right of `train =` in a dataset. */
export const SOURCES = registry<SourceDef>()({
  idx: {
    name: 'idx',
    doc: 'MNIST-format (IDX) image and label files, gzip-compressed or raw.',
    args: [
      {
        name: 'images',
        type: 'string',
        doc: 'path of the images file (…-images-idx3-ubyte[.gz])',
      },
      {
        name: 'labels',
        type: 'string',
        doc: 'path of the labels file (…-labels-idx1-ubyte[.gz])',
      },
      streamArg,
      ...TAKE_ARGS,
    ],
  },
  csv: {
    name: 'csv',
    doc: 'spreadsheets: one image per row of pixel columns (whole numbers 0–255, or decimals with dtype: float32); labels in a one-column file or a column',
    args: [
      { name: 'images', type: 'string', doc: 'the pixels file (one image per row)' },
      { name: 'labels', type: 'any', default: NONE, doc: 'a one-column labels file' },
      {
        name: 'label_column',
        type: 'any',
        default: NONE,
        doc: 'the labels column of the images file: its index, or its header name',
      },
      shapeArg,
      {
        name: 'dtype',
        type: 'any',
        default: { t: 'name', name: 'uint8' },
        doc: 'uint8 (whole numbers 0–255) or float32 (decimal numbers; with the scale that maps them to [0, 1], e.g. scale: 1)',
      },
      { name: 'scale', type: 'number', default: num(1 / 255), doc: 'tensor = pixel × scale' },
      { name: 'header', type: 'bool', default: bool(false), doc: 'the first row is a header' },
      { name: 'delimiter', type: 'string', default: str('auto'), doc: '",", ";", "\\t" or auto' },
      streamArg,
      ...TAKE_ARGS,
    ],
  },
  images: {
    name: 'images',
    doc: 'a folder of PNG/JPEG images, labelled by a spreadsheet (filename,label) or by subfolder',
    args: [
      { name: 'dir', type: 'string', doc: 'the folder of images' },
      {
        name: 'labels',
        type: 'any',
        default: NONE,
        doc: 'a filename,label spreadsheet; without it, one subfolder per class',
      },
      shapeArg,
      streamArg,
      ...TAKE_ARGS,
    ],
  },
});

/** `validation = split(train, 10%, seed: 7, stratify: true)`. */
export const SPLIT_ARGS: ArgSpec[] = [
  { name: 'of', type: 'any', doc: 'the split to take examples from: train' },
  { name: 'size', type: 'number', doc: 'a fraction (10%) or a count of examples', above: 0 },
  { name: 'seed', type: 'int', default: int(0), doc: 'seed of the random choice', min: 0 },
  { name: 'stratify', type: 'bool', default: bool(false), doc: 'keep class proportions' },
  ...TAKE_ARGS,
];

export const DATASET_SETTINGS: ReadonlyMap<string, string> = new Map([
  ['train', 'the training split: a data source such as idx(images, labels)'],
  ['test', 'the test split, evaluated after every epoch'],
  ['validation', 'a validation split: a data source, or split(train, 10%, seed: 7)'],
  ['classes', 'the class names, in label order'],
]);

export function checkDataset(
  decl: DatasetDecl,
  file: string,
  diags: Diagnostic[],
): DatasetSpec | undefined {
  const spec: Partial<DatasetSpec> & { name: string } = { name: decl.name.name };
  const before = diags.length;
  for (const setting of decl.body) {
    const key = setting.target.name;
    if (key === 'train') spec.train = checkSource(setting, file, diags, false) as DataSource;
    else if (key === 'test') spec.test = checkSource(setting, file, diags, false) as DataSource;
    else if (key === 'validation') spec.validation = checkSource(setting, file, diags, true);
    else if (key === 'classes') spec.classes = checkClasses(setting, file, diags);
    else {
      const message = `a dataset has no setting '${key}'${didYouMean(key, DATASET_SETTINGS.keys())}`;
      diags.push(diagnostic(CODES.unknownSetting, message, file, setting.target.span));
    }
  }
  if (!spec.train && diags.length === before) {
    const message = `dataset '${spec.name}' needs a 'train' split, e.g. train = idx("images.gz", "labels.gz")`;
    diags.push(diagnostic(CODES.missingSetting, message, file, decl.name.span));
  }
  return spec.train && diags.length === before ? (spec as DatasetSpec) : undefined;
}

function checkSource(
  setting: Assignment,
  file: string,
  diags: Diagnostic[],
  splitAllowed: boolean,
): DataSource | SplitSource | undefined {
  const call = setting.value;
  if (call.kind !== 'Call') {
    const message = `'${setting.target.name}' must be a data source such as idx("images.gz", "labels.gz")`;
    diags.push(diagnostic(CODES.argumentType, message, file, call.span));
    return undefined;
  }
  if (call.callee.name === 'split' && splitAllowed) return checkSplit(call, file, diags);
  const source = SOURCES.get(call.callee.name);
  if (!source) {
    const known = splitAllowed ? [...SOURCES.keys(), 'split'] : [...SOURCES.keys()];
    const message = `unknown data source '${call.callee.name}'${didYouMean(call.callee.name, known)} (known: ${known.join(', ')})`;
    diags.push(diagnostic(CODES.unknownName, message, file, call.callee.span));
    return undefined;
  }
  const ctx = { what: call.callee.name, file, span: call.span, constants: new Map() };
  const args = bindArgs(call.args, source.args, ctx, diags);
  if (!args) return undefined;
  const problem = (message: string, name?: string) => {
    const span = (name && args.spans.get(name)) || call.span;
    diags.push(diagnostic(CODES.argumentType, `${call.callee.name}: ${message}`, file, span));
    return undefined;
  };
  const at = (name: string): DataFile => ({
    path: stringArg(args, name),
    file,
    span: args.spans.get(name) ?? call.span,
  });
  const streamValue = args.values.get('stream')!;
  if (streamValue.t !== 'bool' && streamValue.t !== 'auto')
    return problem("'stream' must be true, false or auto", 'stream');
  const stream: boolean | 'auto' = streamValue.t === 'bool' ? streamValue.v : 'auto';
  const take = checkTake(args, file, call, diags);
  if (take === null) return undefined;
  const common = { stream, ...(take ? { take } : {}) };
  if (call.callee.name === 'idx')
    return { kind: 'idx', images: at('images'), labels: at('labels'), ...common };
  const shape = shapeOf(args);
  if (shape.length !== 3 || shape.some((d) => d < 1) || ![1, 3].includes(shape[0]))
    return problem("'shape' must be [channels, height, width] with 1 or 3 channels", 'shape');
  const labels = optionalString(args, 'labels');
  if (labels === null) return problem("'labels' must be a file name (a string)", 'labels');
  if (call.callee.name === 'images') {
    const labelsFile = labels === undefined ? undefined : { ...at('labels') };
    return { kind: 'images', dir: at('dir'), labels: labelsFile, shape, ...common };
  }
  const csv = checkCsv(args, at, shape, labels !== undefined, problem);
  return csv && { ...csv, ...common };
}

/**
 * `take:` a count (a whole number ≥ 1) or a fraction in (0, 1); undefined when absent, null
 * after reporting a mistake at the value. Whether the data has that many examples is known
 * when it is loaded (a data error at the same place).
 */
function checkTake(
  args: BoundArgs,
  file: string,
  call: CallExpr,
  diags: Diagnostic[],
): Take | undefined | null {
  const value = args.values.get('take')!;
  if (value.t === 'name' && value.name === 'None') return undefined;
  const span = args.spans.get('take') ?? call.span;
  const fail = (message: string) => {
    diags.push(diagnostic(CODES.argumentRange, `${call.callee.name}: ${message}`, file, span));
    return null;
  };
  if (value.t !== 'num')
    return fail("'take' must be a count of examples (5000) or a fraction (10%)");
  if (value.v <= 0) return fail(`'take' must be more than 0 examples, found ${value.v}`);
  if (value.v >= 1 && !Number.isInteger(value.v))
    return fail(`'take' must be a fraction below 1 (10%) or a whole count, found ${value.v}`);
  return {
    size: value.v,
    seed: numberArg(args, 'take_seed'),
    stratify: boolArg(args, 'take_stratify'),
    at: { path: call.callee.name, file, span },
  };
}

function checkCsv(
  args: BoundArgs,
  at: (name: string) => DataFile,
  shape: number[],
  hasLabelsFile: boolean,
  problem: (message: string, name?: string) => undefined,
): DataSource | undefined {
  const column = args.values.get('label_column')!;
  const noColumn = column.t === 'name' && column.name === 'None';
  if (!noColumn && column.t !== 'str' && !(column.t === 'num' && column.int && column.v >= 0))
    return problem(
      "'label_column' must be a column index (0, 1, …) or a header name",
      'label_column',
    );
  if (hasLabelsFile === !noColumn)
    return problem(
      "give either 'labels' (a labels file) or 'label_column' (a column of images), not both and not neither",
    );
  const header = boolArg(args, 'header');
  if (column.t === 'str' && !header)
    return problem("a 'label_column' given by name needs header: true", 'label_column');
  const dtypeValue = args.values.get('dtype')!;
  const dtype =
    dtypeValue.t === 'name' ? dtypeValue.name : dtypeValue.t === 'str' ? dtypeValue.v : '';
  if (dtype !== 'uint8' && dtype !== 'float32')
    return problem("'dtype' must be uint8 or float32", 'dtype');
  if (dtype === 'float32' && args.values.get('stream')?.t === 'bool' && boolArg(args, 'stream'))
    return problem(
      'stream: true reads whole-number pixels; a float32 spreadsheet is loaded into memory (remove stream)',
      'stream',
    );
  const delimiter = stringArg(args, 'delimiter');
  if (!['auto', ',', ';', '\t'].includes(delimiter))
    return problem('\'delimiter\' must be ",", ";", "\\t" or "auto"', 'delimiter');
  return {
    kind: 'csv',
    images: at('images'),
    labels: hasLabelsFile ? at('labels') : undefined,
    labelColumn: noColumn ? undefined : column.t === 'str' ? column.v : (column as { v: number }).v,
    shape,
    dtype,
    scale: numberArg(args, 'scale'),
    header,
    delimiter,
  };
}

function checkSplit(call: CallExpr, file: string, diags: Diagnostic[]): SplitSource | undefined {
  const ctx = { what: 'split', file, span: call.span, constants: new Map() };
  const args = bindArgs(call.args, SPLIT_ARGS, ctx, diags);
  if (!args) return undefined;
  const of = args.values.get('of')!;
  const size = numberArg(args, 'size');
  const fail = (message: string, name: string) => {
    const span = args.spans.get(name) ?? call.span;
    diags.push(diagnostic(CODES.argumentType, `split: ${message}`, file, span));
    return undefined;
  };
  if (of.t !== 'name' || of.name !== 'train')
    return fail("can only take examples from 'train'", 'of');
  if (size >= 1 && !Number.isInteger(size))
    return fail(`'size' must be a fraction below 1 (10%) or a whole count, found ${size}`, 'size');
  const take = checkTake(args, file, call, diags);
  if (take === null) return undefined;
  return {
    kind: 'split',
    size,
    seed: numberArg(args, 'seed'),
    stratify: boolArg(args, 'stratify'),
    at: { path: 'train', file, span: call.span },
    ...(take ? { take } : {}),
  };
}

function shapeOf(args: BoundArgs): number[] {
  const v = args.values.get('shape');
  return v?.t === 'list' ? v.items.map((i) => (i.t === 'num' ? i.v : 0)) : [];
}

/** A string, undefined for None, null for anything else. */
function optionalString(args: BoundArgs, name: string): string | undefined | null {
  const v = args.values.get(name)!;
  if (v.t === 'name' && v.name === 'None') return undefined;
  return v.t === 'str' ? v.v : null;
}

function checkClasses(
  setting: Assignment,
  file: string,
  diags: Diagnostic[],
): string[] | undefined {
  try {
    const value = evaluate(setting.value, new Map());
    if (value.t === 'list' && value.items.every((i) => i.t === 'str')) {
      return value.items.map((i) => (i.t === 'str' ? i.v : ''));
    }
  } catch (e) {
    if (!(e instanceof EvalError)) throw e;
  }
  const message = '\'classes\' must be a list of strings, e.g. ["cat", "dog"]';
  diags.push(diagnostic(CODES.argumentType, message, file, setting.value.span));
  return undefined;
}
