// Reads IDX files (the MNIST format: http://yann.lecun.com/exdb/mnist/), gzip-compressed or raw.
// Layout: two zero bytes, a type code (0x08 = unsigned byte), the number of dimensions, each
// dimension as a big-endian uint32, then the data in row-major order.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { CODES } from '../../compiler/index.js';
import { DataError } from './errors.js';

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const UNSIGNED_BYTE = 0x08;

export function readIdx(path: string, expectedRank: number): IdxArray {
  const bytes = decompress(path, readBytes(path));
  const fail = (what: string) => new DataError(CODES.dataFormat, `${path}: ${what}`);
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) {
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
  if (bytes.length < header) throw fail('is truncated inside its header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const size = dims.reduce((n, d) => n * d, 1);
  const found = bytes.length - header;
  if (found !== size) {
    const problem = found < size ? 'is truncated' : 'has extra bytes at the end';
    throw fail(
      `${problem}: its header promises ${dims.join('×')} = ${size} bytes of data, found ${found}`,
    );
  }
  return { dims, data: bytes.subarray(header) };
}

function readBytes(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const reason =
      code === 'EISDIR' ? 'is a directory, not a file' : `cannot be read (${code ?? String(e)})`;
    throw new DataError(
      code === 'ENOENT' ? CODES.dataNotFound : CODES.dataUnreadable,
      `${path}: ${reason}`,
    );
  }
}

function decompress(path: string, bytes: Uint8Array): Uint8Array {
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  try {
    return gunzipSync(bytes);
  } catch (e) {
    const reason =
      (e as NodeJS.ErrnoException).code === 'Z_BUF_ERROR'
        ? 'truncated gzip data'
        : 'corrupt gzip data';
    throw new DataError(CODES.dataFormat, `${path}: ${reason} (${(e as Error).message})`);
  }
}
