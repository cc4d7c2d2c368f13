// Finds and loads the splits of a checked dataset into memory, validating them against each
// other and against the network that will read them.
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { DataFile, DatasetSpec, IdxSource, Model } from '../../compiler/index.js';
import { CODES } from '../../compiler/index.js';
import { DataError } from './errors.js';
import { readIdx } from './idx.js';

/** Where Debian's dataset packages (e.g. dataset-fashion-mnist) install their files. */
export const SYSTEM_DATA_ROOT = '/usr/share/datasets';

export interface Split {
  /** uint8 pixels, `count` images of `imageShape`, row-major. */
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  /** [channels, height, width]. */
  imageShape: number[];
}

export interface LoadedData {
  train: Split;
  test?: Split;
  classes: number;
}

/**
 * Data paths are tried as given (absolute), then relative to the spec's folder, then under each
 * extra root (`--data`, $NETSPEC_DATA), then under /usr/share/datasets.
 */
export function resolveDataFile(file: DataFile, extraRoots: readonly string[]): string {
  if (isAbsolute(file.path)) {
    if (existsSync(file.path)) return file.path;
    throw notFound(file, [file.path]);
  }
  const roots = [dirname(resolve(file.file)), ...extraRoots, SYSTEM_DATA_ROOT];
  const candidates = roots.map((root) => join(root, file.path));
  const found = candidates.find((c) => existsSync(c));
  if (found) return found;
  throw notFound(file, roots);
}

function notFound(file: DataFile, looked: string[]): DataError {
  const hint = file.path.includes('fashion-mnist')
    ? "; Fashion-MNIST comes with Debian's package: apt-get install dataset-fashion-mnist"
    : '';
  const message = `cannot find data file '${file.path}' (looked in ${looked.join(', ')})${hint}; or pass --data DIR`;
  return new DataError(CODES.dataNotFound, message, file);
}

export function loadSplit(source: IdxSource, extraRoots: readonly string[]): Split {
  const imagesPath = resolveDataFile(source.images, extraRoots);
  const labelsPath = resolveDataFile(source.labels, extraRoots);
  const images = readIdx(imagesPath, 3);
  const labels = readIdx(labelsPath, 1);
  const [count, height, width] = images.dims;
  if (labels.dims[0] !== count) {
    const message = `${labelsPath}: has ${labels.dims[0]} labels, but ${imagesPath} has ${count} images`;
    throw new DataError(CODES.dataMismatch, message, source.labels);
  }
  return { images: images.data, labels: labels.data, count, imageShape: [1, height, width] };
}

export function loadDataset(
  dataset: DatasetSpec,
  model: Model,
  extraRoots: readonly string[],
): LoadedData {
  const train = loadSplit(dataset.train, extraRoots);
  const test = dataset.test ? loadSplit(dataset.test, extraRoots) : undefined;
  const classes = dataset.classes?.length ?? maxLabel(train) + 1;
  for (const [split, source] of [
    [train, dataset.train],
    [test, dataset.test],
  ] as const) {
    if (!split || !source) continue;
    checkFits(split, source, model, classes);
  }
  return { train, test, classes };
}

function checkFits(split: Split, source: IdxSource, model: Model, classes: number): void {
  const expected = model.input.shape.slice(1);
  if (expected.join() !== split.imageShape.join()) {
    const message = `${source.images.path}: images are [${split.imageShape.join(', ')}], but network '${model.name}' takes input '${model.input.name}' of shape [${expected.join(', ')}]`;
    throw new DataError(CODES.dataMismatch, message, source.images);
  }
  const top = maxLabel(split);
  if (top >= classes) {
    const message = `${source.labels.path}: label ${top} is out of range for ${classes} classes`;
    throw new DataError(CODES.dataMismatch, message, source.labels);
  }
}

function maxLabel(split: Split): number {
  let top = 0;
  for (const label of split.labels) if (label > top) top = label;
  return top;
}
