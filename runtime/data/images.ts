// Reads a folder of PNG/JPEG images: either the files a label spreadsheet lists (the seed's
// `MyMNIST(image_dir, label_spreadsheet)`), or one subfolder per class as torchvision's
// ImageFolder does (classes sorted by name). Every image is converted to the declared channels
// and must have the declared height and width.
import { extname, join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { CODES } from '../../compiler/index.js';
import {
  checkFiles,
  didNotAnswer,
  errnoOf,
  FileError,
  listFolder,
  readEach,
  readFile,
} from '../files.js';
import type { FolderEntry } from '../files.js';
import { UserError } from '../errors.js';
import { numberLike, unreadable } from './errors.js';

export interface ImageTable {
  images: Uint8Array;
  labels: Int32Array;
  count: number;
  /** Class names from subfolders; absent with a label spreadsheet. */
  classNames?: string[];
  /** The spreadsheet line of each image. */
  lines?: Int32Array;
}

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg']);

/** Images listed in `labelsPath` (rows `filename,label`, header optional). */
export function readLabelledFolder(dir: string, labelsPath: string, shape: number[]): ImageTable {
  const rows = readLabelSheet(labelsPath);
  const pixels = shape[0] * shape[1] * shape[2];
  const images = new Uint8Array(rows.length * pixels);
  const paths = rows.map((row) => join(dir, row.file));
  // In batches: one round trip to the reader per image would cost more than the reads.
  readEach(paths, 'image', (bytes, i) => {
    if (bytes instanceof FileError) throw missingImage(dir, labelsPath, rows[i], bytes);
    images.set(decodeImage(paths[i], bytes, shape), i * pixels);
  });
  const labels = Int32Array.from(rows, (r) => r.label);
  return { images, labels, count: rows.length, lines: Int32Array.from(rows, (r) => r.line) };
}

function missingImage(dir: string, labelsPath: string, row: SheetRow, e: unknown): UserError {
  const code = errnoOf(e);
  const why =
    code === 'ENOENT'
      ? `image '${row.file}' does not exist in ${dir}`
      : e instanceof FileError
        ? e.message
        : `cannot read ${join(dir, row.file)} (${code})`;
  return new UserError(CODES.dataNotFound, `${labelsPath}:${row.line}: ${why}`);
}

/** What a streamed image folder needs: the files in example order and their labels. */
export interface ImageListing {
  files: string[];
  labels: Int32Array;
  classNames?: string[];
  lines?: Int32Array;
}

/** The files a label spreadsheet lists, each checked to exist unless asked not to (not decoded). */
export function listLabelledFolder(dir: string, labelsPath: string, check = true): ImageListing {
  const rows = readLabelSheet(labelsPath);
  const files = rows.map((row) => join(dir, row.file));
  // In batches: one round trip to the reader per file would cost more than the checks.
  if (check)
    checkFiles(files, 'image').forEach((checked, i) => {
      if (checked instanceof FileError) throw missingImage(dir, labelsPath, rows[i], checked);
    });
  return {
    files,
    labels: Int32Array.from(rows, (r) => r.label),
    lines: Int32Array.from(rows, (r) => r.line),
  };
}

/** The files of class subfolders, in ImageFolder's order, labelled by folder. */
export function listClassFolders(dir: string): ImageListing {
  const { classNames, files } = classFiles(dir);
  return {
    files: files.map((f) => f.path),
    labels: Int32Array.from(files, (f) => f.label),
    classNames,
  };
}

/** One subfolder per class, sorted by name; the files in each sorted by path. */
export function readClassFolders(dir: string, shape: number[]): ImageTable {
  const { classNames, files } = classFiles(dir);
  const pixels = shape[0] * shape[1] * shape[2];
  const images = new Uint8Array(files.length * pixels);
  const paths = files.map((f) => f.path);
  readEach(paths, 'image', (bytes, i) => {
    if (bytes instanceof FileError) throw unreadable(paths[i], bytes);
    images.set(decodeImage(paths[i], bytes, shape), i * pixels);
  });
  return {
    images,
    labels: Int32Array.from(files, (f) => f.label),
    count: files.length,
    classNames,
  };
}

function classFiles(dir: string): {
  classNames: string[];
  files: { path: string; label: number }[];
} {
  const classNames = listDir(dir)
    .filter((entry) => entry.folder)
    .map((entry) => entry.name)
    .sort();
  if (classNames.length === 0)
    throw new UserError(
      CODES.dataFormat,
      `${dir}: has no class subfolders (and no labels: spreadsheet was given)`,
    );
  const files: { path: string; label: number }[] = [];
  classNames.forEach((name, label) => {
    for (const path of imageFiles(join(dir, name))) files.push({ path, label });
  });
  return { classNames, files };
}

/** A folder's entries, each saying whether it is a folder (a broken link is not). */
function listDir(dir: string): FolderEntry[] {
  try {
    return listFolder(dir);
  } catch (e) {
    const code = errnoOf(e);
    const reason =
      code === 'ENOTDIR'
        ? 'is not a folder'
        : didNotAnswer(e)
          ? e.reason
          : `cannot be listed (${code})`;
    throw new UserError(
      code === 'ENOENT' ? CODES.dataNotFound : CODES.dataUnreadable,
      `${dir}: ${reason}`,
    );
  }
}

function imageFiles(dir: string): string[] {
  const found: string[] = [];
  const entries = listDir(dir).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const { name, folder } of entries) {
    const path = join(dir, name);
    if (folder) found.push(...imageFiles(path));
    else if (IMAGE_EXTENSIONS.has(extname(name).toLowerCase())) found.push(path);
  }
  return found;
}

interface SheetRow {
  file: string;
  label: number;
  line: number;
}

/** `filename,label` rows (`,` `;` or tab); a first row whose label is not a number is a header. */
function readLabelSheet(path: string): SheetRow[] {
  let text: string;
  try {
    text = readFile(path, 'labels').toString('utf8');
  } catch (e) {
    throw unreadable(path, e);
  }
  const rows: SheetRow[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') return;
    const cells = line.split(/[,;\t]/).map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
    if (index === 0 && !/^\d+$/.test(cells[1] ?? '')) return; // a header row
    const where = `${path}:${index + 1}`;
    if (cells.length !== 2)
      throw new UserError(
        CODES.dataFormat,
        `${where}: row has ${cells.length} columns, expected 2 (filename,label)`,
      );
    if (!/^\d+$/.test(cells[1])) {
      const label = numberLike(cells[1]) ? `label '${cells[1]}'` : 'the label';
      throw new UserError(CODES.dataFormat, `${where}:2: ${label} is not a non-negative integer`);
    }
    rows.push({ file: cells[0], label: Number(cells[1]), line: index + 1 });
  });
  return rows;
}

/**
 * Decodes a PNG or JPEG to the declared [channels, height, width] uint8 layout. The size its
 * header declares is checked first, so an image of another size (a 60000×60000 one of 150
 * bytes) is refused before anything is decoded.
 */
export function decodeImage(path: string, bytes: Uint8Array, shape: number[]): Uint8Array {
  const [channels, height, width] = shape;
  const declared = declaredSize(bytes);
  if (declared) checkSize(path, declared, width, height);
  const decoded = decodeAnySize(path, bytes, channels);
  checkSize(path, decoded, width, height);
  return decoded.pixels;
}

/**
 * The most pixels an image of any size may have (`netspec predict` resizes it): 8K×8K. Checked
 * from the header before decoding, as decodeImage checks its size.
 */
export const MAX_IMAGE_PIXELS = 8192 * 8192;

/** Decodes a PNG or JPEG at its own size to `channels` (1: PIL's luma, 3: RGB) uint8 planes. */
export function decodeAnySize(path: string, bytes: Uint8Array, channels: number) {
  const declared = declaredSize(bytes);
  if (declared && declared.width * declared.height > MAX_IMAGE_PIXELS) {
    const message = `${path}: image is ${declared.width}×${declared.height}; netspec reads images of up to ${MAX_IMAGE_PIXELS.toLocaleString('en-US')} pixels`;
    throw new UserError(CODES.dataFormat, message);
  }
  const rgba = decodeRgba(path, bytes);
  const { width, height } = rgba;
  const plane = width * height;
  const out = new Uint8Array(channels * plane);
  const d = rgba.data;
  for (let p = 0; p < plane; p++) {
    const r = d[4 * p];
    const g = d[4 * p + 1];
    const b = d[4 * p + 2];
    if (channels === 1) {
      // PIL's convert('L'): ITU-R 601-2 luma in fixed point, exact for gray pixels.
      out[p] = (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16;
    } else {
      out[p] = r;
      out[plane + p] = g;
      out[2 * plane + p] = b;
    }
  }
  return { pixels: out, width, height };
}

function checkSize(
  path: string,
  image: { width: number; height: number },
  width: number,
  height: number,
): void {
  if (image.width === width && image.height === height) return;
  const message = `${path}: image is ${image.width}×${image.height}, but the dataset's shape says ${width}×${height}`;
  throw new UserError(CODES.dataMismatch, message);
}

/** The size a PNG's IHDR or a JPEG's start-of-frame declares, or undefined when not found. */
export function declaredSize(bytes: Uint8Array): { width: number; height: number } | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (isPng(bytes) && bytes.length >= 24)
    return { width: view.getUint32(16), height: view.getUint32(20) };
  if (!isJpeg(bytes)) return undefined;
  // Markers: 0xFF, a code, then (except for standalone ones) a 2-byte length.
  for (let at = 2; at + 9 <= bytes.length;) {
    if (bytes[at] !== 0xff) return undefined;
    const marker = bytes[at + 1];
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    const isFrame = marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker);
    if (isFrame) return { height: view.getUint16(at + 5), width: view.getUint16(at + 7) };
    if (marker === 0xd9 || marker === 0xda) return undefined;
    const standalone = marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7);
    at += standalone ? 2 : 2 + view.getUint16(at + 2);
  }
  return undefined;
}

const isPng = (bytes: Uint8Array) =>
  bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
const isJpeg = (bytes: Uint8Array) => bytes[0] === 0xff && bytes[1] === 0xd8;

function decodeRgba(
  path: string,
  bytes: Uint8Array,
): { width: number; height: number; data: Uint8Array } {
  const png = isPng(bytes);
  try {
    if (png) return PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    if (isJpeg(bytes)) return jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true });
  } catch (e) {
    // A decoder tripping over a field it did not expect says nothing the user can act on.
    const tripped = e instanceof TypeError || e instanceof RangeError;
    const reason = tripped ? 'corrupt or truncated data' : (e as Error).message.split('\n')[0];
    throw new UserError(
      CODES.dataFormat,
      `${path}: cannot decode ${png ? 'PNG' : 'JPEG'} (${reason})`,
    );
  }
  throw new UserError(CODES.dataFormat, `${path}: not a PNG or JPEG file`);
}
