// Checks a `dataset` declaration: its splits (each a data source call) and its class names.
import type { Assignment, DatasetDecl, Diagnostic } from '../../grammar/index.js';
import { diagnostic } from '../../grammar/index.js';
import { CODES } from '../codes.js';
import type { ArgSpec } from './args.js';
import { bindArgs, stringArg } from './args.js';
import type { DatasetSpec, IdxSource } from './model.js';
import { didYouMean } from './names.js';
import { evaluate, EvalError } from './values.js';

/** The data-source registry: what can stand on the right of `train =` in a dataset. */
export const SOURCES: ReadonlyMap<string, { doc: string; args: ArgSpec[] }> = new Map([
  [
    'idx',
    {
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
      ],
    },
  ],
]);

export const DATASET_SETTINGS: ReadonlyMap<string, string> = new Map([
  ['train', 'the training split: a data source such as idx(images, labels)'],
  ['test', 'the test split, evaluated after every epoch'],
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
    if (key === 'train') spec.train = checkSource(setting, file, diags);
    else if (key === 'test') spec.test = checkSource(setting, file, diags);
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
  return spec.train ? (spec as DatasetSpec) : undefined;
}

function checkSource(
  setting: Assignment,
  file: string,
  diags: Diagnostic[],
): IdxSource | undefined {
  const call = setting.value;
  if (call.kind !== 'Call') {
    const message = `'${setting.target.name}' must be a data source such as idx("images.gz", "labels.gz")`;
    diags.push(diagnostic(CODES.argumentType, message, file, call.span));
    return undefined;
  }
  const source = SOURCES.get(call.callee.name);
  if (!source) {
    const message = `unknown data source '${call.callee.name}'${didYouMean(call.callee.name, SOURCES.keys())}`;
    diags.push(diagnostic(CODES.unknownName, message, file, call.callee.span));
    return undefined;
  }
  const before = diags.length;
  const ctx = { what: call.callee.name, file, span: call.span, constants: new Map() };
  const args = bindArgs(call.args, source.args, ctx, diags);
  if (diags.length > before) return undefined;
  const dataFile = (name: string) => ({
    path: stringArg(args, name),
    file,
    span: args.spans.get(name) ?? call.span,
  });
  return { kind: 'idx', images: dataFile('images'), labels: dataFile('labels') };
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
