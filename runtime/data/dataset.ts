// Loads the splits of a checked dataset into memory (taking a validation split out of train
// when asked), then validates them against each other, the class names and the network.
import type {
  DatasetSpec,
  DataFile,
  DataSource,
  Model,
  Take,
  TransformSpec,
} from '../../compiler/index.js';
import { CODES } from '../../compiler/index.js';
import { UserError } from '../errors.js';
import type { Split } from './sources.js';
import { loadSource, sourceFile } from './sources.js';
import { splitOff, takeSubset } from './split.js';
import { outputShape } from './transforms/pipeline.js';

export type { Split } from './sources.js';
export { resolveDataFile, SYSTEM_DATA_ROOT } from './paths.js';

export interface LoadedData {
  train: Split;
  test?: Split;
  validation?: Split;
  classes: number;
  /** From the spec's `classes`, or from class subfolders. */
  classNames?: string[];
}

export function loadDataset(
  dataset: DatasetSpec,
  model: Model | undefined,
  extraRoots: readonly string[],
  transform?: TransformSpec,
): LoadedData {
  const load = (key: 'train' | 'test' | 'validation', source: DataSource) =>
    nonEmpty(taken(loadSource(source, extraRoots), source.take), key, sourceFile(source));
  let train = load('train', dataset.train);
  const test = dataset.test ? load('test', dataset.test) : undefined;
  let validation: Split | undefined;
  if (dataset.validation?.kind === 'split') {
    ({ train, validation } = splitOff(train, dataset.validation));
    validation = taken(validation, dataset.validation.take);
  } else if (dataset.validation) validation = load('validation', dataset.validation);
  const classNames = dataset.classes ?? train.classNames;
  // Without class names, the network's output size says how many classes there are.
  const outputs = model?.outputShape[model.outputShape.length - 1];
  const classes =
    classNames?.length ?? (typeof outputs === 'number' ? outputs : maxLabel(train) + 1);
  const where = (split: Split, key: 'train' | 'test' | 'validation'): DataFile => {
    const source = dataset[key];
    const at = source && (source.kind === 'split' ? source.at : sourceFile(source));
    return at ?? { path: split.origin, file: '', span: undefined as never };
  };
  for (const [split, key] of [
    [train, 'train'],
    [test, 'test'],
    [validation, 'validation'],
  ] as const) {
    if (!split) continue;
    if (model) checkShape(split, where(split, key), model, transform);
    checkLabels(split, where(split, key), classes, dataset.classes !== undefined);
  }
  return { train, test, validation, classes, classNames };
}

/** A split without examples would train on nothing (NaN losses): refused before anything runs. */
function nonEmpty(split: Split, key: 'train' | 'test' | 'validation', at: DataFile): Split {
  if (split.count > 0) return split;
  const message = `${split.origin}: the ${key === 'train' ? 'training' : key} split has no examples (an empty file, a header only, or 0 images)`;
  throw new UserError(CODES.dataFormat, message, at);
}

const taken = (split: Split, take: Take | undefined) => (take ? takeSubset(split, take) : split);

function checkShape(split: Split, at: DataFile, model: Model, transform?: TransformSpec): void {
  const expected = model.input.shape.slice(1);
  const produced = transform ? outputShape(transform.steps, split.imageShape) : split.imageShape;
  if (expected.join() !== produced.join()) {
    const after = transform ? ` after transform ${transform.name}` : '';
    const message = `${split.origin}: images are [${produced.join(', ')}]${after}, but network '${model.name}' takes input '${model.input.name}' of shape [${expected.join(', ')}]`;
    throw new UserError(CODES.dataMismatch, message, at);
  }
}

function checkLabels(split: Split, at: DataFile, classes: number, named: boolean): void {
  for (let i = 0; i < split.count; i++) {
    if (split.labels[i] < classes) continue;
    const why = named ? `the dataset names ${classes} classes` : `${classes} classes`;
    const message = `${split.labelAt(i)}: label ${split.labels[i]} is out of range for ${why} (0–${classes - 1})`;
    throw new UserError(CODES.dataMismatch, message, at);
  }
}

function maxLabel(split: Split): number {
  let top = 0;
  for (const label of split.labels) if (label > top) top = label;
  return top;
}
