// Streamed sources: what a split needs when its pixels stay on disk. A raw IDX file is read in
// place; a gzip IDX file or a CSV spreadsheet is converted once, streaming, into a raw uint8
// cache file (keyed by the source's path, size and modification time, written under a
// temporary name and renamed into place, replacing the conversion of the file's previous
// version) that is then read in place; an image folder decodes
// its files on demand. Whether a source streams: its `stream` argument, or with `auto` (the
// default) whether its pixels would take more than a memory budget.
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  openSync,
  readSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import type { DataSource } from '../../compiler/index.js';
import { CODES } from '../../compiler/index.js';
import {
  checkFile,
  FILE_LIMITS,
  gunzipInto,
  readFile,
  readFirst,
  readLast,
  readText,
} from '../files.js';
import { writeFileAtomic, WriteError } from '../writes.js';
import { UserError } from '../errors.js';
import { unreadable } from './errors.js';
import { checkIdxHeader, gzipError, inflatesPast, isGzip, promisedIdxBytes } from './idx.js';
import { cacheDirs, writable } from './stats.js';
import type { PixelStore } from './store.js';
import { openStore } from './store.js';

/**
 * Sources whose pixels would take more than this stream under `stream: auto`: a quarter of
 * the machine's (or the container's) memory, leaving room for the test split, a copy shared
 * with worker threads and onnxruntime. `NETSPEC_STREAM_ABOVE` (bytes; K, M, G suffixes) sets it.
 */
export function streamBudget(): number {
  const forced = process.env.NETSPEC_STREAM_ABOVE?.trim().match(
    /^(\d+(?:\.\d+)?)\s*([KMG]?)i?B?$/i,
  );
  if (forced) {
    const unit = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30 }[forced[2].toUpperCase()] ?? 1;
    return Number(forced[1]) * unit;
  }
  const limit = process.constrainedMemory?.() ?? 0;
  const memory = limit > 0 ? Math.min(limit, totalmem()) : totalmem();
  return memory / 4;
}

/** A lower estimate of the bytes a file's pixels take in memory, for `stream: auto`. */
export function pixelBytesEstimate(kind: DataSource['kind'], path: string): number {
  let size: number;
  try {
    size = checkFile(path, 'stream').size;
  } catch {
    return 0; // the loader reports a missing or irregular file
  }
  if (kind === 'csv') return size / 2; // at least one digit and one delimiter per pixel
  if (kind !== 'idx') return size;
  // gzip keeps the uncompressed size modulo 2³² in its last four bytes. Read through the reader
  // (files.ts), with its time limit: a look at a file on a stalled mount must not hang.
  try {
    if (!isGzip(readFirst(path, 'stream', 2)) || size < 18) return size;
    return Math.max(size, readLast(path, 'stream', 4).readUInt32LE(0));
  } catch {
    return 0; // a folder, a pipe, an unreadable file: the loader reports it
  }
}

/**
 * Whether a source streams: as its `stream` says, or under `auto` by its estimated pixel bytes
 * (only then estimated: the estimate reads a gzip file's last bytes).
 */
export function shouldStream(source: DataSource, estimate: () => number): boolean {
  const stream = source.stream ?? 'auto';
  return stream === 'auto' ? estimate() > streamBudget() : stream;
}

export interface StreamedIdx {
  dims: number[];
  store: PixelStore;
  /** For `netspec data`. */
  how: string;
}

/** A rank-3 IDX images file as a store: read in place when raw, else through the cache. */
export function streamIdx(path: string, specFile: string): StreamedIdx {
  let start: Buffer;
  let size: number;
  try {
    size = checkFile(path, 'stream').size;
    start = readFirst(path, 'stream', 4096);
  } catch (e) {
    throw unreadable(path, e);
  }
  const head = start.subarray(0, 16);
  if (!isGzip(head)) {
    const { dims, header } = checkIdxHeader(path, head, size, 3);
    const store = openStore({
      kind: 'file',
      path,
      offset: header,
      pixels: dims[1] * dims[2],
      count: dims[0],
      origin: path,
    });
    return { dims, store, how: 'raw IDX, read in place' };
  }
  const cached = convertOnce(path, specFile, { kind: 'idx' }, (target) => {
    // Never more than the header promises: a bomb stops there, and its partial copy is removed.
    const promised = promisedIdxBytes(start);
    gunzipFile(path, target, Math.min(promised ?? Infinity, FILE_LIMITS.stream));
    checkIdxHeader(path, readHead(target, 16), statSync(target).size, 3);
    return {};
  });
  const raw = readHead(cached.pixelsPath, 16);
  const { dims, header } = checkIdxHeader(path, raw, statSync(cached.pixelsPath).size, 3);
  const store = openStore({
    kind: 'file',
    path: cached.pixelsPath,
    offset: header,
    pixels: dims[1] * dims[2],
    count: dims[0],
    origin: path,
  });
  return { dims, store, how: `gzip IDX, decompressed once to ${cached.pixelsPath}` };
}

export interface ConvertedCsv {
  labels: Int32Array;
  /** The file's line of each row. */
  lines: Int32Array;
  rows: number;
  store: PixelStore;
  how: string;
}

/**
 * A CSV spreadsheet's pixels as a store, converted once into the cache. `parse` runs the CSV
 * reader with a sink (so the same errors name the same rows) and returns the labels it found.
 */
export function streamCsv(
  path: string,
  specFile: string,
  layoutKey: unknown,
  pixels: number,
  parse: (sink: (values: Uint8Array) => void) => {
    labels: Int32Array;
    lines: Int32Array;
    rows: number;
  },
): ConvertedCsv {
  const cached = convertOnce(path, specFile, { kind: 'csv', layout: layoutKey }, (target) => {
    const fd = openSync(target, 'w');
    try {
      const { labels, lines, rows } = parse((values) => writeAll(fd, values));
      return { labels, lines, rows };
    } finally {
      closeSync(fd);
    }
  });
  const rows = cached.meta.rows as number;
  const store = openStore({
    kind: 'file',
    path: cached.pixelsPath,
    offset: 0,
    pixels,
    count: rows,
    origin: path,
  });
  const labels = cached.labels ?? new Int32Array(rows);
  const lines = cached.lines ?? new Int32Array(rows);
  return { labels, lines, rows, store, how: `CSV, converted once to ${cached.pixelsPath}` };
}

function writeAll(fd: number, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length;) done += writeSync(fd, bytes, done, bytes.length - done);
}

function readHead(path: string, length: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(length);
    const n = readSync(fd, head, 0, length, 0);
    return head.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

interface Converted {
  pixelsPath: string;
  labels?: Int32Array;
  lines?: Int32Array;
  meta: Record<string, unknown>;
}

/**
 * The cache of a converted source: `stream-<key>.u8` (pixels), `.i32` (labels, when the
 * conversion found them) and `.json` (written last: its presence means the others are whole).
 * The key covers the source's absolute path, size and modification time and how it is read,
 * so an edited file is converted again.
 */
function convertOnce(
  path: string,
  specFile: string,
  how: unknown,
  convert: (target: string) => { labels?: Int32Array; lines?: Int32Array; rows?: number },
): Converted {
  let stat;
  try {
    stat = checkFile(path, 'stream');
  } catch (e) {
    throw unreadable(path, e);
  }
  const key = createHash('sha256')
    .update(
      JSON.stringify({ v: 2, path: resolve(path), size: stat.size, mtime: stat.mtimeMs, how }),
    )
    .digest('hex')
    .slice(0, 32);
  const dirs = cacheDirs(specFile);
  for (const dir of dirs) {
    const base = join(dir, `stream-${key}`);
    if (!existsSync(`${base}.json`)) continue;
    try {
      const meta = JSON.parse(readText(`${base}.json`, 'cache')) as Record<string, unknown>;
      if (statSync(`${base}.u8`).size !== meta.bytes) continue;
      const labels = meta.labels ? readInt32(`${base}.i32`) : undefined;
      const lines = meta.labels ? readInt32(`${base}.lines.i32`) : undefined;
      return { pixelsPath: `${base}.u8`, labels, lines, meta };
    } catch {
      // an incomplete or unreadable entry: convert again
    }
  }
  const dir = dirs.find(writable);
  if (!dir)
    throw new UserError(
      CODES.dataUnreadable,
      `${path}: cannot stream it: no writable cache folder for its converted copy (tried ${dirs.join(', ')})`,
    );
  const base = join(dir, `stream-${key}`);
  const temporary = `${base}.u8.${process.pid}.tmp`;
  let result: { labels?: Int32Array; lines?: Int32Array; rows?: number };
  try {
    result = convert(temporary);
  } catch (e) {
    try {
      unlinkSync(temporary);
    } catch {
      // nothing was written
    }
    throw e;
  }
  renameSync(temporary, `${base}.u8`);
  const int32s = { '.i32': result.labels, '.lines.i32': result.lines };
  for (const [ext, array] of Object.entries(int32s)) {
    if (!array) continue;
    const { buffer, byteOffset, byteLength } = array;
    writeFileAtomic(`${base}${ext}`, Buffer.from(buffer, byteOffset, byteLength));
  }
  const meta = {
    bytes: statSync(`${base}.u8`).size,
    rows: result.rows,
    labels: !!result.labels,
    source: resolve(path),
    how,
  };
  writeFileAtomic(`${base}.json`, Buffer.from(JSON.stringify(meta) + '\n'));
  removeStale(dir, meta.source, how, `stream-${key}`);
  return { pixelsPath: `${base}.u8`, labels: result.labels, lines: result.lines, meta };
}

/**
 * Deletes the conversions of an earlier version of the same file read the same way (another
 * size or modification time), which nothing will read again; conversions of the file read
 * another way (a CSV's other layout) stay. The `.json` goes first, so no reader ever finds an
 * entry that looks whole without its pixels; a process still reading the old pixels keeps
 * its open file.
 */
function removeStale(dir: string, source: string, how: unknown, keep: string): void {
  for (const name of readdirSync(dir)) {
    if (!name.startsWith('stream-') || !name.endsWith('.json') || name === `${keep}.json`) continue;
    const base = join(dir, name.slice(0, -'.json'.length));
    try {
      const meta = JSON.parse(readText(`${base}.json`, 'cache')) as Record<string, unknown>;
      if (meta.source !== source || JSON.stringify(meta.how) !== JSON.stringify(how)) continue;
      for (const ext of ['.json', '.u8', '.i32', '.lines.i32'])
        rmSync(`${base}${ext}`, { force: true });
    } catch {
      // unreadable or already gone: leave it to whoever is using it
    }
  }
}

function readInt32(path: string): Int32Array {
  const bytes = readFile(path, 'stream');
  const labels = new Int32Array(bytes.byteLength / 4);
  new Uint8Array(labels.buffer).set(bytes);
  return labels;
}

/**
 * Decompresses a gzip file into `target` without holding either in memory: the reader streams
 * it (file → gunzip → file), with its time limit on silence.
 */
function gunzipFile(path: string, target: string, limit: number): void {
  let failed;
  try {
    failed = gunzipInto(path, 'stream', target, limit);
  } catch (e) {
    if (e instanceof WriteError) throw e;
    throw unreadable(path, e);
  }
  if (!failed) return;
  if (failed.code === 'ERR_INFLATES_PAST')
    throw new UserError(CODES.dataFormat, `${path}: ${inflatesPast(limit)}`);
  throw gzipError(path, Object.assign(new Error(failed.message), { code: failed.code }));
}
