// Weights on disk in the safetensors format (https://huggingface.co/docs/safetensors): an
// 8-byte little-endian header length, a JSON header mapping each tensor's name to its dtype,
// shape and byte range, then the raw little-endian data. Names are PyTorch state_dict names.
import { readFile } from './files.js';

export interface NamedTensor {
  shape: number[];
  data: Float32Array;
}

export function encodeSafetensors(
  tensors: ReadonlyMap<string, NamedTensor>,
  metadata: Record<string, string> = {},
): Buffer {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, t] of tensors) {
    header[name] = {
      dtype: 'F32',
      shape: t.shape,
      data_offsets: [offset, offset + t.data.byteLength],
    };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8); // keeps the data 8-byte aligned
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  const parts: Uint8Array[] = [head, Buffer.from(json)];
  for (const t of tensors.values())
    parts.push(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  return Buffer.concat(parts);
}

/** A tensor as stored: its safetensors dtype (`F32`, `I64`, …), shape and raw little-endian bytes. */
export interface RawTensor {
  dtype: string;
  shape: number[];
  bytes: Buffer;
}

/** Bytes per element of the dtypes safetensors defines (others are unknown to netspec). */
export const DTYPE_BYTES: Readonly<Record<string, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  U64: 8,
  I32: 4,
  U32: 4,
  I16: 2,
  U16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

/** safetensors' own bound on the JSON header. */
const MAX_HEADER_BYTES = 100_000_000;

/** Elements of one stored tensor netspec converts (a float32 array of them must fit). */
const MAX_TENSOR_ELEMENTS = 2 ** 31 - 1;

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** Why a header entry is malformed, or undefined. Offsets and dims are checked before use. */
function entryProblem(entry: unknown, bodyBytes: number): string | undefined {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
    return 'is not an object';
  const { dtype, shape, data_offsets: offsets } = entry as Partial<HeaderEntry>;
  if (typeof dtype !== 'string') return 'has no dtype';
  const count = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0;
  if (!Array.isArray(shape) || !shape.every(count)) return 'has no shape of non-negative integers';
  if (shape.reduce((n, d) => n * d, 1) > MAX_TENSOR_ELEMENTS)
    return `has ${shape.join('×')} elements, more than netspec reads (${MAX_TENSOR_ELEMENTS})`;
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(count))
    return 'has no data_offsets [start, end]';
  const [start, end] = offsets;
  if (start > end || end > bodyBytes) return 'lies outside the file';
  const size = shape.reduce((n, d) => n * d, 1) * (DTYPE_BYTES[dtype] ?? 0);
  if (dtype in DTYPE_BYTES && size !== end - start)
    return `has ${end - start} bytes for shape [${shape.join(', ')}]`;
  return undefined;
}

/**
 * Every tensor of a safetensors file in its stored dtype, in header order. The header is
 * validated before anything is allocated: byte ranges against the file and, for known dtypes,
 * against the shape; a truncated file or one that is not safetensors fails here, naming it.
 */
export function decodeSafetensorsRaw(bytes: Buffer, path: string): Map<string, RawTensor> {
  const fail = (what: string) => new Error(`${path}: not a safetensors file (${what})`);
  if (bytes.length < 8) throw fail('too short');
  const length = Number(bytes.readBigUInt64LE(0));
  if (length > MAX_HEADER_BYTES) throw fail(`a header of ${length} bytes`);
  if (8 + length > bytes.length) throw fail('header longer than the file');
  let header: unknown;
  try {
    header = JSON.parse(bytes.subarray(8, 8 + length).toString('utf8'));
  } catch {
    throw fail('header is not JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    throw fail('header is not a JSON object');
  const body = bytes.subarray(8 + length);
  const tensors = new Map<string, RawTensor>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const problem = entryProblem(entry, body.length);
    if (problem) throw fail(`tensor '${name}' ${problem}`);
    const { dtype, shape, data_offsets: offsets } = entry as HeaderEntry;
    tensors.set(name, { dtype, shape, bytes: body.subarray(offsets[0], offsets[1]) });
  }
  return tensors;
}

/** Every tensor as float32 (see toFloat32); a dtype without a float32 reading is an error. */
export function decodeSafetensors(bytes: Buffer, path: string): Map<string, NamedTensor> {
  const tensors = new Map<string, NamedTensor>();
  for (const [name, raw] of decodeSafetensorsRaw(bytes, path)) {
    const data = toFloat32(raw);
    if (!data)
      throw new Error(
        `${path}: tensor '${name}' is ${raw.dtype}, which does not convert to float32`,
      );
    tensors.set(name, { shape: raw.shape, data });
  }
  return tensors;
}

/**
 * A stored tensor as float32, as `load_state_dict` copies it into a float32 parameter:
 * floating types rounded, integer and boolean types (PyTorch saves `num_batches_tracked` as
 * int64) as their values. undefined for dtypes without a float32 reading (float8, complex, …).
 */
export function toFloat32(tensor: RawTensor): Float32Array | undefined {
  const { bytes, dtype } = tensor;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const read: ((i: number) => number) | undefined = {
    F64: (i: number) => view.getFloat64(8 * i, true),
    F32: (i: number) => view.getFloat32(4 * i, true),
    F16: (i: number) => halfToFloat(view.getUint16(2 * i, true)),
    BF16: (i: number) => bfloat16ToFloat(view.getUint16(2 * i, true)),
    I64: (i: number) => Number(view.getBigInt64(8 * i, true)),
    U64: (i: number) => Number(view.getBigUint64(8 * i, true)),
    I32: (i: number) => view.getInt32(4 * i, true),
    U32: (i: number) => view.getUint32(4 * i, true),
    I16: (i: number) => view.getInt16(2 * i, true),
    U16: (i: number) => view.getUint16(2 * i, true),
    I8: (i: number) => view.getInt8(i),
    U8: (i: number) => view.getUint8(i),
    BOOL: (i: number) => (view.getUint8(i) === 0 ? 0 : 1),
  }[dtype];
  if (!read) return undefined;
  const count = tensor.shape.reduce((n, d) => n * d, 1);
  const out = new Float32Array(count);
  if (dtype === 'F32') {
    Buffer.from(out.buffer).set(bytes);
    return out;
  }
  for (let i = 0; i < count; i++) out[i] = read(i);
  return out;
}

const scratch = new DataView(new ArrayBuffer(4));

function bfloat16ToFloat(bits: number): number {
  scratch.setUint32(0, bits << 16);
  return scratch.getFloat32(0);
}

function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

export function readSafetensors(path: string): Map<string, NamedTensor> {
  return decodeSafetensors(readFile(path, 'weights'), path);
}
