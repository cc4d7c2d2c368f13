// Random-access pixel stores for splits that are not held in memory: examples are read on
// demand, by index, in whatever order an epoch asks for. A raw uint8 file (a raw IDX file, or
// the cache a gzip IDX file or a CSV spreadsheet was converted to) is read in place, a batch's
// examples in one request to the reader (files.ts) and adjacent examples in one range; an image
// folder decodes its files one by one. A store is described by a plain-data handle, so a worker
// thread can open the same one.
import { createHash } from 'node:crypto';
import { CODES } from '../../compiler/index.js';
import {
  checkFile,
  checkFiles,
  dropRead,
  errnoOf,
  FileError,
  rangesRead,
  readFiles,
  readRangesAhead,
} from '../files.js';
import type { RangesAhead } from '../files.js';
import { UserError } from '../errors.js';
import { unreadable } from './errors.js';
import { decodeImage } from './images.js';

export type StoreHandle =
  | {
      kind: 'file';
      /** The uint8 file read in place. */
      path: string;
      /** Where example 0 starts (an IDX header's length). */
      offset: number;
      /** Bytes per example. */
      pixels: number;
      count: number;
      /** For messages: the file the user named (the gzip or CSV file a cache came from). */
      origin: string;
      /** Example i of this store is example map[i] of the file (a split's subset). */
      map?: Uint32Array;
    }
  | {
      kind: 'images';
      files: string[];
      /** [channels, height, width]: each file is decoded to this. */
      shape: number[];
      map?: Uint32Array;
    };

export interface PixelStore {
  readonly handle: StoreHandle;
  readonly count: number;
  /** Bytes per example. */
  readonly pixels: number;
  /** Copies the pixels of examples `indices`, one after another, into `target`. */
  read(indices: ArrayLike<number>, target: Uint8Array): void;
  /** Says what the next `read` will ask for, so that a store on disk reads it meanwhile. */
  willRead(indices: ArrayLike<number>): void;
  /** Changes when the data does: keys the Normalize statistics cache. */
  fingerprint(): string;
}

/** Opens a store from its handle (on the main thread or in a worker). */
export function openStore(handle: StoreHandle): PixelStore {
  return handle.kind === 'file' ? new FileStore(handle) : new ImageStore(handle);
}

/** The same store restricted to `indices` (a validation split taken out of train). */
export function subsetStore(store: PixelStore, indices: Uint32Array): PixelStore {
  const map = store.handle.map
    ? Uint32Array.from(indices, (i) => store.handle.map![i])
    : indices.slice();
  return openStore({ ...store.handle, map });
}

class FileStore implements PixelStore {
  readonly count: number;
  readonly pixels: number;

  constructor(readonly handle: StoreHandle & { kind: 'file' }) {
    this.count = handle.map ? handle.map.length : handle.count;
    this.pixels = handle.pixels;
  }

  /** The read sent ahead by willRead, and the ranges it asked for. */
  private ahead?: { ranges: Float64Array; read: RangesAhead };

  read(indices: ArrayLike<number>, target: Uint8Array): void {
    const ranges = this.ranges(indices);
    const ahead = this.takeAhead(ranges);
    let bytes: Buffer;
    try {
      // One request to the reader per batch, with its time limit: a file on a mount that stops
      // answering mid-epoch ends the run with a message instead of hanging it.
      bytes = rangesRead(ahead ?? readRangesAhead(this.handle.path, 'stream', ranges));
    } catch (e) {
      throw this.unreadable(e);
    }
    // The file shrank after it was checked: say so rather than train on zeros.
    if (bytes.length < indices.length * this.pixels)
      throw this.fail('is truncated (it changed while being read)');
    target.set(bytes);
  }

  willRead(indices: ArrayLike<number>): void {
    this.takeAhead(undefined);
    const ranges = this.ranges(indices);
    this.ahead = { ranges, read: readRangesAhead(this.handle.path, 'stream', ranges) };
  }

  /** The read sent ahead, when it asked for `ranges`; another is dropped. */
  private takeAhead(ranges: Float64Array | undefined): RangesAhead | undefined {
    const ahead = this.ahead;
    this.ahead = undefined;
    if (!ahead) return undefined;
    if (ranges && sameValues(ahead.ranges, ranges)) return ahead.read;
    dropRead(ahead.read);
    return undefined;
  }

  /**
   * The file's ranges (offset and length, one after another) holding examples `indices`. Runs
   * of consecutive examples become one range: a sequential pass (statistics, an unshuffled
   * evaluation) reads megabytes at a time; a shuffled batch reads example by example.
   */
  private ranges(indices: ArrayLike<number>): Float64Array {
    const { map, pixels, offset } = this.handle;
    const n = indices.length;
    const ranges = new Float64Array(2 * n);
    let count = 0;
    for (let k = 0; k < n;) {
      const first = map ? map[indices[k]] : indices[k];
      let run = 1;
      while (k + run < n && (map ? map[indices[k + run]] : indices[k + run]) === first + run) run++;
      ranges[count++] = offset + first * pixels;
      ranges[count++] = run * pixels;
      k += run;
    }
    return ranges.subarray(0, count);
  }

  private unreadable(e: unknown): UserError {
    return this.fail(
      e instanceof FileError ? e.reason : `cannot be read (${errnoOf(e) ?? String(e)})`,
    );
  }

  private fail(what: string): UserError {
    const { path, origin } = this.handle;
    const where = path === origin ? path : `${origin} (cached as ${path})`;
    return new UserError(CODES.dataUnreadable, `${where}: ${what}`);
  }

  fingerprint(): string {
    const { path, offset, pixels, map } = this.handle;
    let stat;
    try {
      stat = checkFile(path, 'stream');
    } catch (e) {
      throw this.unreadable(e);
    }
    return digest([path, stat.size, stat.mtimeMs, offset, pixels].join(':'), map);
  }
}

function sameValues(a: Float64Array, b: Float64Array): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

class ImageStore implements PixelStore {
  readonly count: number;
  readonly pixels: number;

  constructor(readonly handle: StoreHandle & { kind: 'images' }) {
    this.count = handle.map ? handle.map.length : handle.files.length;
    this.pixels = handle.shape.reduce((a, b) => a * b, 1);
  }

  read(indices: ArrayLike<number>, target: Uint8Array): void {
    const { files, map, shape } = this.handle;
    const paths = Array.from(indices, (i) => files[map ? map[i] : i]);
    // One round trip to the reader for the batch's files, not one per file.
    let read: (Buffer | FileError)[];
    try {
      read = readFiles(paths, 'image');
    } catch (e) {
      throw unreadable(paths[0], e);
    }
    read.forEach((bytes, k) => {
      if (bytes instanceof FileError) throw unreadable(paths[k], bytes);
      target.set(decodeImage(paths[k], bytes, shape), k * this.pixels);
    });
  }

  willRead(): void {
    // Decoding, not reading, is most of an image's cost: the files are read when asked for.
  }

  fingerprint(): string {
    // Names, sizes and times, not contents: reading every image to key a cache would cost as
    // much as the statistics themselves.
    const { files } = this.handle;
    const parts = checkFiles(files, 'image').map((s, i) => {
      if (s instanceof FileError) throw unreadable(files[i], s);
      return `${files[i]}:${s.size}:${s.mtimeMs}`;
    });
    return digest([this.handle.shape.join(), ...parts].join('\n'), this.handle.map);
  }
}

function digest(text: string, map: Uint32Array | undefined): string {
  const hash = createHash('sha256').update(text);
  if (map) hash.update(new Uint8Array(map.buffer, map.byteOffset, map.byteLength));
  return hash.digest('hex').slice(0, 32);
}
