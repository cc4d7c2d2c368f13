// Reads ONNX model files into plain data: nodes with decoded attributes, initializers as
// typed arrays, graph inputs and outputs, validated (validate.ts) before use. The importer (compiler/import/) works on this form,
// so protobuf stays inside compiler/onnx/.
import type OnnxProto from 'onnx-proto';
import { onnx } from './proto.js';
import { graphProblem, MAX_ONNX_ELEMENTS } from './validate.js';

type TensorProto = InstanceType<typeof OnnxProto.onnx.TensorProto>;
type AttributeProto = InstanceType<typeof OnnxProto.onnx.AttributeProto>;

export type OnnxAttr = number | string | number[] | Float32Array;

export interface OnnxNode {
  name: string;
  op: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, OnnxAttr>;
}

export interface OnnxInitializer {
  dims: number[];
  /** float32 data; int64 initializers (shape constants) are converted to float64-safe numbers. */
  data: Float32Array | number[];
  dtype: 'float32' | 'int64' | 'other';
}

export interface OnnxValue {
  name: string;
  /** Dimensions; symbolic ones (`batch`) as strings. */
  dims: (number | string)[];
}

export interface OnnxModel {
  irVersion: number;
  opset: number;
  producer: string;
  nodes: OnnxNode[];
  initializers: Map<string, OnnxInitializer>;
  inputs: OnnxValue[];
  outputs: OnnxValue[];
}

export class OnnxReadError extends Error {}

/**
 * The bytes of a file beside the model that holds initializers' data (PyTorch's exporter writes
 * `model.onnx.data` by default), by its `location` as the model names it; throws an
 * OnnxReadError saying why it cannot be read.
 */
export type ExternalData = (location: string) => Uint8Array;

/** A model whose initializers are all inside it: any external data is an error. */
const NO_EXTERNAL_DATA: ExternalData = () => {
  throw new OnnxReadError('keeps its data in an external file, which netspec does not read');
};

export function readOnnx(bytes: Uint8Array, external = NO_EXTERNAL_DATA): OnnxModel {
  let model: InstanceType<typeof OnnxProto.onnx.ModelProto>;
  try {
    model = onnx().ModelProto.decode(bytes);
  } catch (e) {
    throw new OnnxReadError(`not an ONNX model (${(e as Error).message})`);
  }
  const graph = model.graph;
  if (!graph) throw new OnnxReadError('the ONNX model has no graph');
  const opset = model.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx');
  const initializers = new Map<string, OnnxInitializer>();
  const files = new Map<string, Uint8Array>(); // each external file read once
  const fileAt = (location: string) =>
    files.get(location) ?? files.set(location, external(location)).get(location)!;
  for (const t of graph.initializer ?? []) {
    const what = `initializer '${t.name}'`;
    initializers.set(t.name ?? '', decodeTensor(t as TensorProto, what, fileAt));
  }
  const isInitializer = (name: string) => initializers.has(name);
  const read: OnnxModel = {
    irVersion: Number(model.irVersion),
    opset: Number(opset?.version ?? 0),
    producer: `${model.producerName} ${model.producerVersion}`.trim(),
    nodes: (graph.node ?? []).map((n, i) => ({
      name: n.name || `${n.opType}_${i}`,
      op: n.opType ?? '',
      domain: n.domain ?? '',
      inputs: [...(n.input ?? [])],
      outputs: [...(n.output ?? [])],
      attrs: Object.fromEntries(
        (n.attribute ?? []).map((a) => [
          a.name ?? '',
          decodeAttr(a as AttributeProto, `attribute '${a.name}' of node '${n.name}'`),
        ]),
      ),
    })),
    initializers,
    inputs: (graph.input ?? []).filter((v) => !isInitializer(v.name ?? '')).map(valueInfo),
    outputs: (graph.output ?? []).map(valueInfo),
  };
  const problem = graphProblem(read);
  if (problem) throw new OnnxReadError(problem);
  return read;
}

/** A model's graph inputs (initializers excluded), without reading any tensor's data. */
export function readOnnxInputs(bytes: Uint8Array): OnnxValue[] {
  let graph: InstanceType<typeof OnnxProto.onnx.ModelProto>['graph'];
  try {
    graph = onnx().ModelProto.decode(bytes).graph;
  } catch (e) {
    throw new OnnxReadError(`not an ONNX model (${(e as Error).message})`);
  }
  const initializers = new Set((graph?.initializer ?? []).map((t) => t.name ?? ''));
  return (graph?.input ?? []).filter((v) => !initializers.has(v.name ?? '')).map(valueInfo);
}

function valueInfo(v: { name?: string | null; type?: unknown }): OnnxValue {
  const type = v.type as {
    tensorType?: { shape?: { dim?: { dimValue?: unknown; dimParam?: string }[] } };
  };
  const dims = (type?.tensorType?.shape?.dim ?? []).map((d) =>
    d.dimParam ? d.dimParam : Number(d.dimValue ?? 0),
  );
  return { name: v.name ?? '', dims };
}

function decodeAttr(a: AttributeProto, what: string): OnnxAttr {
  const T = onnx().AttributeProto.AttributeType;
  switch (a.type) {
    case T.FLOAT:
      return a.f;
    case T.INT:
      return Number(a.i);
    case T.STRING:
      return new TextDecoder().decode(a.s);
    case T.INTS:
      return a.ints.map(Number);
    case T.FLOATS:
      return [...a.floats];
    case T.TENSOR: {
      const t = decodeTensor(a.t as TensorProto, what);
      return t.data instanceof Float32Array ? t.data : Float32Array.from(t.data);
    }
    default:
      return '';
  }
}

/**
 * A tensor's values, its dims and byte counts checked before anything is allocated: a tensor
 * whose data does not fill its dims (or overfills them) is an error, never zero-filled.
 */
function decodeTensor(
  t: TensorProto,
  what: string,
  external: ExternalData = NO_EXTERNAL_DATA,
): OnnxInitializer {
  const dims = t.dims.map(Number);
  const fail = (problem: string) => new OnnxReadError(`${what} ${problem}`);
  if (!dims.every((d) => Number.isSafeInteger(d) && d >= 0))
    throw fail(`has dimensions [${dims.join(', ')}]`);
  const count = dims.reduce((n, d) => n * d, 1);
  if (count > MAX_ONNX_ELEMENTS)
    throw fail(`has ${dims.join('×')} elements, more than netspec reads (${MAX_ONNX_ELEMENTS})`);
  const outside = t.dataLocation === onnx().TensorProto.DataLocation.EXTERNAL;
  const D = onnx().TensorProto.DataType;
  const raw = outside
    ? externalBytes(t, external, fail)
    : t.rawData && t.rawData.length > 0
      ? t.rawData
      : undefined;
  const check = (found: number, expected: number, unit: string) => {
    if (found !== expected)
      throw fail(`holds ${found} ${unit} of data; its dims [${dims.join(', ')}] need ${expected}`);
  };
  if (t.dataType === D.FLOAT) {
    if (raw) {
      check(raw.length, count * 4, 'bytes');
      const copy = new Float32Array(count);
      new Uint8Array(copy.buffer).set(raw);
      return { dims, data: copy, dtype: 'float32' };
    }
    check(t.floatData.length, count, 'values');
    return { dims, data: Float32Array.from(t.floatData), dtype: 'float32' };
  }
  if (t.dataType === D.INT64) {
    if (raw) {
      check(raw.length, count * 8, 'bytes');
      const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      const data = Array.from({ length: count }, (_, i) => Number(view.getBigInt64(8 * i, true)));
      return { dims, data, dtype: 'int64' };
    }
    check(t.int64Data.length, count, 'values');
    return { dims, data: t.int64Data.map(Number), dtype: 'int64' };
  }
  return { dims, data: [], dtype: 'other' };
}

/**
 * The bytes an external initializer names: `length` bytes from `offset` (the rest of the file
 * when no length is given) of `location`, a file in the model's folder or below it — never a
 * path that climbs out of it, so a downloaded model cannot make netspec read elsewhere.
 */
function externalBytes(
  t: TensorProto,
  external: ExternalData,
  fail: (problem: string) => OnnxReadError,
): Uint8Array {
  const entries = new Map((t.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
  const location = entries.get('location') ?? '';
  if (!location) throw fail('keeps its data in an external file but names none');
  if (location.startsWith('/') || location.split(/[\\/]/).includes('..'))
    throw fail(
      `keeps its data in '${location}', outside the model's folder; netspec reads external data only from files beside the model or below it`,
    );
  const file = external(location);
  const offset = Number(entries.get('offset') ?? 0);
  const length = entries.has('length') ? Number(entries.get('length')) : file.length - offset;
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0)
    throw fail(`names bytes ${entries.get('offset')}+${entries.get('length')} of '${location}'`);
  if (offset + length > file.length)
    throw fail(
      `names bytes ${offset}–${offset + length} of '${location}', which holds ${file.length}`,
    );
  return file.subarray(offset, offset + length);
}
