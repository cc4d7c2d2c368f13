// Weights on disk in the safetensors format (https://huggingface.co/docs/safetensors): an
// 8-byte little-endian header length, a JSON header mapping each tensor's name to its dtype,
// shape and byte range, then the raw little-endian data. Names are PyTorch state_dict names.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';

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

export function decodeSafetensors(bytes: Buffer, path: string): Map<string, NamedTensor> {
  const fail = (what: string) => new Error(`${path}: not a safetensors file (${what})`);
  if (bytes.length < 8) throw fail('too short');
  const length = Number(bytes.readBigUInt64LE(0));
  if (8 + length > bytes.length) throw fail('header longer than the file');
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  try {
    header = JSON.parse(bytes.subarray(8, 8 + length).toString('utf8'));
  } catch {
    throw fail('header is not JSON');
  }
  const tensors = new Map<string, NamedTensor>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (entry.dtype !== 'F32')
      throw fail(`tensor '${name}' is ${entry.dtype}; only F32 is supported`);
    const [start, end] = entry.data_offsets;
    const raw = bytes.subarray(8 + length + start, 8 + length + end);
    const data = new Float32Array(raw.byteLength / 4);
    Buffer.from(data.buffer).set(raw);
    tensors.set(name, { shape: entry.shape, data });
  }
  return tensors;
}

/** Writes atomically: a reader never sees a half-written file. */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const temporary = `${path}.tmp-${process.pid}`;
  writeFileSync(temporary, bytes);
  renameSync(temporary, path);
}

export function readSafetensors(path: string): Map<string, NamedTensor> {
  return decodeSafetensors(readFileSync(path), path);
}
