// Loads one data source (IDX files, CSV spreadsheets, an image folder) into a Split: uint8
// pixels in memory or, for a streamed source, a store that reads them from disk on demand;
// int labels (always in memory), the stored image shape and the pixel→tensor scale.
import type { DataFile, DataSource, SourceName } from '../../compiler/index.js';
import { CODES } from '../../compiler/index.js';
import { readCsv, sniff } from './csv.js';
import { UserError } from '../errors.js';
import { readIdx } from './idx.js';
import type { ImageListing } from './images.js';
import {
  listClassFolders,
  listLabelledFolder,
  readClassFolders,
  readLabelledFolder,
} from './images.js';
import { resolveDataFile } from './paths.js';
import type { PixelStore } from './store.js';
import { openStore } from './store.js';
import { pixelBytesEstimate, shouldStream, streamCsv, streamIdx } from './stream.js';

/** Stored pixels: whole numbers 0–255, or floats (a `dtype: float32` spreadsheet's, scaled). */
export type Pixels = Uint8Array | Float32Array;

export interface Split {
  /**
   * Pixels, `count` images of `imageShape`, row-major. A streamed split has none in memory:
   * reading this throws; read through `readPixels` (batches.ts), which serves both.
   */
  images: Pixels;
  /** Where a streamed split's pixels are read from, example by example. */
  store?: PixelStore;
  /** How a streamed split reads its pixels, for `netspec data`; absent: in memory. */
  streamed?: string;
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
  /** A `take:` subset: what it was taken from, for `netspec data` (`5,000 of 60,000, seed 0`). */
  taken?: string;
}

/** Each data source of the registry, read. */
const LOADERS: {
  [K in SourceName]: (source: DataSource & { kind: K }, roots: readonly string[]) => Split;
} = { idx: loadIdx, csv: loadCsv, images: loadImages };

export function loadSource(source: DataSource, roots: readonly string[]): Split {
  const load = LOADERS[source.kind] as (source: DataSource, roots: readonly string[]) => Split;
  return load(source, roots);
}

/** The file a source's examples are read from (images, or the folder of images). */
export function sourceFile(source: DataSource): DataFile {
  return source.kind === 'images' ? source.dir : source.images;
}

/** A split whose pixels stay on disk: `images` throws, so nothing reads them by mistake. */
export function streamedSplit(
  fields: Omit<Split, 'images' | 'store' | 'streamed'>,
  store: PixelStore,
  how: string,
): Split {
  const split = { ...fields, store, streamed: how } as Split;
  Object.defineProperty(split, 'images', {
    enumerable: false,
    get(): never {
      throw new Error(`${fields.origin}: streamed from disk; read its pixels with readPixels`);
    },
  });
  return split;
}

function loadImages(source: DataSource & { kind: 'images' }, roots: readonly string[]): Split {
  const dir = resolveDataFile(source.dir, roots);
  const sheet = source.labels ? resolveDataFile(source.labels, roots) : dir;
  const shape = source.shape;
  const pixels = shape[0] * shape[1] * shape[2];
  const list = (check: boolean): ImageListing =>
    source.labels ? listLabelledFolder(dir, sheet, check) : listClassFolders(dir);
  // The estimate only counts files: the in-memory reader reports problems in its own order.
  const stream = shouldStream(source, () => list(false).files.length * pixels);
  const labelAtOf = (numbered: Int32Array | undefined) => (i: number) =>
    numbered ? `${sheet}:${numbered[i]}:2` : `${dir}: image ${i + 1}`;
  if (!stream) {
    const table = source.labels
      ? readLabelledFolder(dir, sheet, shape)
      : readClassFolders(dir, shape);
    return {
      ...table,
      imageShape: shape,
      scale: 1 / 255,
      origin: dir,
      labelAt: labelAtOf(table.lines),
    };
  }
  const { files, labels, classNames, lines } = list(true);
  const store = openStore({ kind: 'images', files, shape });
  // Decoding every image to validate it would cost a pass over the folder on every run: the
  // first is decoded now (a wrong shape shows at once), each other one when it is first read.
  if (files.length > 0) store.read([0], new Uint8Array(pixels));
  const fields = { labels, count: files.length, imageShape: shape, scale: 1 / 255, origin: dir };
  return streamedSplit(
    { ...fields, classNames, labelAt: labelAtOf(lines) },
    store,
    'images, decoded on demand',
  );
}

function loadIdx(source: DataSource & { kind: 'idx' }, roots: readonly string[]): Split {
  const imagesPath = resolveDataFile(source.images, roots);
  const labelsPath = resolveDataFile(source.labels, roots);
  const stream = shouldStream(source, () => pixelBytesEstimate('idx', imagesPath));
  const streamed = stream ? streamIdx(imagesPath, source.images.file) : undefined;
  const images = streamed ? undefined : readIdx(imagesPath, 3);
  const labels = readIdx(labelsPath, 1);
  const [count, height, width] = streamed?.dims ?? images!.dims;
  if (labels.dims[0] !== count) {
    const message = `${labelsPath}: has ${labels.dims[0]} labels, but ${imagesPath} has ${count} images`;
    throw new UserError(CODES.dataMismatch, message, source.labels);
  }
  const fields = {
    labels: Int32Array.from(labels.data),
    count,
    imageShape: [1, height, width],
    scale: 1 / 255,
    origin: imagesPath,
    labelAt: (i: number) => `${labelsPath}: label ${i + 1}`,
  };
  if (streamed) return streamedSplit(fields, streamed.store, streamed.how);
  return { ...fields, images: images!.data };
}

function loadCsv(source: DataSource & { kind: 'csv' }, roots: readonly string[]): Split {
  const imagesPath = resolveDataFile(source.images, roots);
  const pixels = source.shape[0] * source.shape[1] * source.shape[2];
  const { delimiter, header } = sniff(imagesPath, source.delimiter);
  const labelColumn = labelColumnIndex(source, header, imagesPath);
  const columns = pixels + (labelColumn >= 0 ? 1 : 0);
  const float = source.dtype === 'float32';
  const layout = {
    delimiter: source.delimiter,
    header: source.header,
    columns,
    labelColumn,
    what: 'pixel',
    max: 255,
    ...(float ? { float: { scale: source.scale } } : {}),
  };
  // Streaming stores whole-number pixels: float spreadsheets are read into memory.
  const stream = !float && shouldStream(source, () => pixelBytesEstimate('csv', imagesPath));
  const streamed = stream
    ? streamCsv(imagesPath, source.images.file, { layout, delimiter }, pixels, (sink) =>
        readCsv(imagesPath, layout, delimiter, sink),
      )
    : undefined;
  const table = streamed ?? readCsv(imagesPath, layout, delimiter);
  let labels = table.labels;
  // Lines, not rows: blank lines (skipped, as pandas does) make them differ.
  const imageLines = table.lines;
  let labelAt = (i: number) => `${imagesPath}:${imageLines[i]}:${labelColumn + 1}`;
  if (source.labels) {
    const labelsPath = resolveDataFile(source.labels, roots);
    const sheet = sniff(labelsPath, 'auto');
    const labelLayout = { ...layout, columns: 1, labelColumn: 0, what: 'label', float: undefined };
    const sheetTable = readCsv(labelsPath, labelLayout, sheet.delimiter);
    labels = sheetTable.labels;
    if (labels.length !== table.rows) {
      const message = `${labelsPath}: has ${labels.length} labels, but ${imagesPath} has ${table.rows} images`;
      throw new UserError(CODES.dataMismatch, message, source.labels);
    }
    labelAt = (i) => `${labelsPath}:${sheetTable.lines[i]}`;
  }
  if (streamed) {
    const fields = { labels, count: table.rows, imageShape: source.shape, scale: source.scale };
    return streamedSplit({ ...fields, origin: imagesPath, labelAt }, streamed.store, streamed.how);
  }
  return {
    images: (table as { values: Pixels }).values,
    labels,
    count: table.rows,
    imageShape: source.shape,
    // Float pixels were scaled as they were read.
    scale: float ? 1 : source.scale,
    origin: imagesPath,
    labelAt,
  };
}

export function labelColumnIndex(
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
    throw new UserError(CODES.dataFormat, message, source.images);
  }
  return index;
}
