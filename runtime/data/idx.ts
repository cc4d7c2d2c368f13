// Reads IDX files (the MNIST format: http://yann.lecun.com/exdb/mnist/), gzip-compressed or raw.
// Layout: two zero bytes, a type code (0x08 = unsigned byte), the number of dimensions, each
// dimension as a big-endian uint32, then the data in row-major order.
import { constants, gunzipSync } from 'node:zlib';
import { CODES } from '../../compiler/index.js';
import { FILE_LIMITS, formatBytes, readFile } from '../files.js';
import { UserError } from '../errors.js';
import { unreadable } from './errors.js';

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const UNSIGNED_BYTE = 0x08;

export function readIdx(path: string, expectedRank: number): IdxArray {
  const bytes = decompress(path, readBytes(path));
  const { dims, header } = checkIdxHeader(path, bytes, bytes.length, expectedRank);
  return { dims, data: bytes.subarray(header) };
}

/**
 * Checks an IDX header (the first bytes of the uncompressed file, at least 4 + 4·rank of them
 * when there are) against the file's uncompressed length: the in-memory and the streamed
 * readers share it, so both report a bad file in the same words.
 */
export function checkIdxHeader(
  path: string,
  bytes: Uint8Array,
  length: number,
  expectedRank: number,
): { dims: number[]; header: number } {
  const fail = (what: string) => new UserError(CODES.dataFormat, `${path}: ${what}`);
  if (length < 4 || bytes[0] !== 0 || bytes[1] !== 0) {
    const magic = Buffer.from(bytes.subarray(0, 4)).toString('hex');
    throw fail(
      `not an IDX file (magic number 0x${magic.padEnd(8, '0')}, expected 0x0000080${expectedRank})`,
    );
  }
  if (bytes[2] !== UNSIGNED_BYTE)
    throw fail(
      `IDX data type 0x${bytes[2].toString(16)} is not supported (only unsigned bytes, 0x08)`,
    );
  const rank = bytes[3];
  if (rank !== expectedRank) {
    const what = expectedRank === 1 ? 'a labels file' : 'an images file';
    throw fail(
      `has ${rank} dimensions, but ${what} has ${expectedRank} (magic 0x0000080${expectedRank})`,
    );
  }
  const header = 4 + 4 * rank;
  if (length < header) throw fail('is truncated inside its header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const size = dims.reduce((n, d) => n * d, 1);
  const found = length - header;
  if (found !== size) {
    const problem = found < size ? 'is truncated' : 'has extra bytes at the end';
    throw fail(
      `${problem}: its header promises ${dims.join('×')} = ${size} bytes of data, found ${found}`,
    );
  }
  return { dims, header };
}

/** Is this the start of a gzip stream? */
export const isGzip = (bytes: Uint8Array) => bytes[0] === 0x1f && bytes[1] === 0x8b;

/** The message for a zlib error, shared by the in-memory and the streamed readers. */
export function gzipError(path: string, e: unknown): UserError {
  const reason =
    (e as NodeJS.ErrnoException).code === 'Z_BUF_ERROR'
      ? 'truncated gzip data'
      : 'corrupt gzip data';
  return new UserError(CODES.dataFormat, `${path}: ${reason} (${(e as Error).message})`);
}

function readBytes(path: string): Uint8Array {
  try {
    return readFile(path, 'data');
  } catch (e) {
    throw unreadable(path, e);
  }
}

/**
 * Decompresses a gzip IDX file, never past the size its header promises (nor past the in-memory
 * limit): a small file that would inflate to gigabytes stops at that bound.
 */
function decompress(path: string, bytes: Uint8Array): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  const limit = Math.min(promisedIdxBytes(bytes) ?? Infinity, FILE_LIMITS.data);
  try {
    return gunzipSync(bytes, { maxOutputLength: limit + 1 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ERR_BUFFER_TOO_LARGE') throw gzipError(path, e);
    throw new UserError(CODES.dataFormat, `${path}: ${inflatesPast(limit)}`);
  }
}

/** The message for gzip data that inflates past its bound. */
export function inflatesPast(limit: number): string {
  const bound =
    limit === FILE_LIMITS.data
      ? `netspec's limit for data read into memory, ${formatBytes(limit)}`
      : `the ${limit} bytes its IDX header promises`;
  return `corrupt gzip data: it decompresses to more than ${bound}`;
}

/**
 * Bytes of the whole uncompressed IDX file (header and data) that its header promises, read by
 * decompressing only the start of a gzip stream; undefined when that start holds no header.
 */
export function promisedIdxBytes(gzipStart: Uint8Array): number | undefined {
  let head: Buffer;
  try {
    // The first 4 KiB inflate to at most about 4 MiB: enough for a header, never a bomb.
    head = gunzipSync(gzipStart.subarray(0, 4096), { finishFlush: constants.Z_SYNC_FLUSH });
  } catch {
    return undefined; // corrupt: the full decompression says how
  }
  if (head.length < 4 || head[0] !== 0 || head[1] !== 0) return undefined;
  const rank = head[3];
  if (head.length < 4 + 4 * rank) return undefined;
  let size = 1;
  for (let i = 0; i < rank; i++) size *= head.readUInt32BE(4 + 4 * i);
  return 4 + 4 * rank + size;
}
