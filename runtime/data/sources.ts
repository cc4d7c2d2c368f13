// Loads one data source (IDX files, CSV spreadsheets, an image folder) into a Split: uint8
// pixels in memory, int labels, the stored image shape and the pixel→tensor scale.
import type { DataSource } from '../../compiler/index.js';
import { CODES } from '../../compiler/index.js';
import { readCsv, sniff } from './csv.js';
import { DataError } from './errors.js';
import { readIdx } from './idx.js';
import { readClassFolders, readLabelledFolder } from './images.js';
import { resolveDataFile } from './paths.js';

export interface Split {
  /** uint8 pixels, `count` images of `imageShape`, row-major. */
  images: Uint8Array;
  labels: Int32Array;
  count: number;
  /** [channels, height, width]. */
  imageShape: number[];
  /** tensor value = pixel × scale (1/255: ToTensor). */
  scale: number;
  /** Class names found in the data itself (image subfolders). */
  classNames?: string[];
  /** The file or folder the pixels came from, for messages. */
  origin: string;
  /** Where example `i`'s label is written, e.g. `labels.csv:12`, for messages. */
  labelAt: (i: number) => string;
}

export function loadSource(source: DataSource, roots: readonly string[]): Split {
  switch (source.kind) {
    case 'idx':
      return loadIdx(source, roots);
    case 'csv':
      return loadCsv(source, roots);
    case 'images': {
      const dir = resolveDataFile(source.dir, roots);
      const table = source.labels
        ? readLabelledFolder(dir, resolveDataFile(source.labels, roots), source.shape)
        : readClassFolders(dir, source.shape);
      const sheet = source.labels ? resolveDataFile(source.labels, roots) : dir;
      const labelAt = (i: number) =>
        table.lines ? `${sheet}:${table.lines[i]}:2` : `${dir}: image ${i + 1}`;
      return { ...table, imageShape: source.shape, scale: 1 / 255, origin: dir, labelAt };
    }
  }
}

function loadIdx(source: DataSource & { kind: 'idx' }, roots: readonly string[]): Split {
  const imagesPath = resolveDataFile(source.images, roots);
  const labelsPath = resolveDataFile(source.labels, roots);
  const images = readIdx(imagesPath, 3);
  const labels = readIdx(labelsPath, 1);
  const [count, height, width] = images.dims;
  if (labels.dims[0] !== count) {
    const message = `${labelsPath}: has ${labels.dims[0]} labels, but ${imagesPath} has ${count} images`;
    throw new DataError(CODES.dataMismatch, message, source.labels);
  }
  return {
    images: images.data,
    labels: Int32Array.from(labels.data),
    count,
    imageShape: [1, height, width],
    scale: 1 / 255,
    origin: imagesPath,
    labelAt: (i) => `${labelsPath}: label ${i + 1}`,
  };
}

function loadCsv(source: DataSource & { kind: 'csv' }, roots: readonly string[]): Split {
  const imagesPath = resolveDataFile(source.images, roots);
  const pixels = source.shape[0] * source.shape[1] * source.shape[2];
  const { delimiter, header } = sniff(imagesPath, source.delimiter);
  const labelColumn = labelColumnIndex(source, header, imagesPath);
  const columns = pixels + (labelColumn >= 0 ? 1 : 0);
  const layout = {
    delimiter: source.delimiter,
    header: source.header,
    columns,
    labelColumn,
    what: 'pixel',
    max: 255,
  };
  const table = readCsv(imagesPath, layout, delimiter);
  let labels = table.labels;
  const first = source.header ? 2 : 1;
  // Row numbers assume no blank lines in between (the parser skips them, as pandas does).
  let labelAt = (i: number) => `${imagesPath}:${i + first}:${labelColumn + 1}`;
  if (source.labels) {
    const labelsPath = resolveDataFile(source.labels, roots);
    const sheet = sniff(labelsPath, 'auto');
    const labelLayout = { ...layout, columns: 1, labelColumn: 0, what: 'label' };
    labels = readCsv(labelsPath, labelLayout, sheet.delimiter).labels;
    if (labels.length !== table.rows) {
      const message = `${labelsPath}: has ${labels.length} labels, but ${imagesPath} has ${table.rows} images`;
      throw new DataError(CODES.dataMismatch, message, source.labels);
    }
    labelAt = (i) => `${labelsPath}:${i + first}`;
  }
  return {
    images: table.values,
    labels,
    count: table.rows,
    imageShape: source.shape,
    scale: source.scale,
    origin: imagesPath,
    labelAt,
  };
}

function labelColumnIndex(
  source: DataSource & { kind: 'csv' },
  header: string[],
  path: string,
): number {
  const column = source.labelColumn;
  if (column === undefined) return -1;
  if (typeof column === 'number') return column;
  const index = header.indexOf(column);
  if (index < 0) {
    const message = `${path}:1: no column named '${column}' in the header (found ${header.slice(0, 5).join(', ')}${header.length > 5 ? ', …' : ''})`;
    throw new DataError(CODES.dataFormat, message, source.images);
  }
  return index;
}
