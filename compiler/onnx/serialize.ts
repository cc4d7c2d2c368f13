// The one module that speaks protobuf: IR graphs to ONNX ModelProto bytes (and back, for
// reading what netspec wrote). ONNX IR version 8 (the schema onnx-proto 8 implements) with
// the default-domain opset 18, or an older one on request (opset.ts rewrites the ops whose form
// changed).
import type OnnxProto from 'onnx-proto';
import type { AttrValue, DType, Graph, Tensor, ValueInfo } from '../ir/graph.js';
import { isGraph, isTensor } from '../ir/graph.js';
import type { AttrKind, OpDomain } from '../ops/index.js';
import { opDef } from '../ops/index.js';
import { DEFAULT_OPSET, OpsetError, nodesForOpset } from './opset.js';
import type { WrittenNode } from './opset.js';
import { onnx } from './proto.js';

type TensorProtoT = InstanceType<typeof OnnxProto.onnx.TensorProto>;
type GraphProtoFields = OnnxProto.onnx.IGraphProto;
type AttributeFields = OnnxProto.onnx.IAttributeProto;

export const IR_VERSION = 8;
export const OPSET = DEFAULT_OPSET;

function elemType(dtype: DType): number {
  const codes = onnx().TensorProto.DataType;
  const byDtype: Record<DType, number> = {
    float32: codes.FLOAT,
    float64: codes.DOUBLE,
    int64: codes.INT64,
    int32: codes.INT32,
    uint32: codes.UINT32,
    uint8: codes.UINT8,
    bool: codes.BOOL,
  };
  return byDtype[dtype];
}

export interface SerializeOptions {
  docString?: string;
  metadata?: Record<string, string>;
  /** The default-domain opset to write (MIN_OPSET…MAX_OPSET; OpsetError otherwise). */
  opset?: number;
}

export function serializeModel(graph: Graph, options: SerializeOptions = {}): Uint8Array {
  const opset = options.opset ?? OPSET;
  const domains = nonStandardDomains(graph);
  if (options.opset !== undefined && domains.length > 0) {
    throw new OpsetError(`${graph.name} has ${domains[0].name} ops, which no opset write may hold`);
  }
  const model = onnx().ModelProto.create({
    irVersion: IR_VERSION,
    opsetImport: [
      { domain: '', version: opset },
      ...domains.map((d) => ({ domain: d.name, version: d.version })),
    ],
    producerName: 'netspec',
    producerVersion: '0.1.0',
    docString: options.docString ?? '',
    metadataProps: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: graphProto(graph, opset),
  });
  return onnx().ModelProto.encode(model).finish();
}

/** The operator sets of the graph's non-standard ops (a Loop body's included). */
export function nonStandardDomains(graph: Graph): OpDomain[] {
  const found = new Map<string, OpDomain>();
  const visit = (g: Graph) => {
    for (const node of g.nodes) {
      const { domain } = opDef(node.op);
      if (domain) found.set(domain.name, domain);
      Object.values(node.attrs).filter(isGraph).forEach(visit);
    }
  };
  visit(graph);
  return [...found.values()];
}

/** A graph as GraphProto fields: the model's main graph, or a Loop's body. */
function graphProto(graph: Graph, opset: number): GraphProtoFields {
  const nodes = nodesForOpset(graph, graph.nodes, opset);
  return {
    name: graph.name,
    input: graph.inputs.map(valueInfo),
    output: graph.outputs.map(valueInfo),
    initializer: [...graph.initializers].map(([name, t]) => tensorProto(name, t)),
    node: nodes.map((node, i) => nodeProto(node, i, opset)),
  };
}

/** A node as NodeProto fields: netspec's own ops under the standard op they are written as. */
function nodeProto(node: WrittenNode, index: number, opset: number) {
  const def = opDef(node.op);
  const op = def.writtenAs ?? node.op;
  return {
    name: `${node.origin ? node.origin + '/' : ''}${op}_${index}`,
    opType: op,
    domain: def.domain?.name ?? '',
    input: node.inputs,
    output: node.outputs,
    attribute: Object.entries(node.attrs).map(([key, value]) =>
      attribute(key, value, def.attrs[key] ?? kindOf(value), opset),
    ),
  };
}

/** An attribute's kind where the op's schema does not give it (one added by a downgrade). */
function kindOf(value: AttrValue): AttrKind {
  if (isGraph(value)) return 'graph';
  if (isTensor(value)) return 'tensor';
  if (Array.isArray(value)) return 'ints';
  if (typeof value === 'string') return 'string';
  return Number.isInteger(value) ? 'int' : 'float';
}

function valueInfo({ name, dtype, shape, perStep }: ValueInfo) {
  const dims = shape.map((d) => (d === 'N' ? { dimParam: 'N' } : { dimValue: d }));
  return {
    name,
    type: {
      tensorType: {
        elemType: elemType(dtype),
        shape: { dim: perStep ? [{ dimParam: 'K' }, ...dims] : dims },
      },
    },
  };
}

function tensorProto(name: string, t: Tensor): TensorProtoT {
  const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  return onnx().TensorProto.create({
    name,
    dims: t.dims,
    dataType: elemType(t.dtype),
    rawData: bytes,
  });
}

function attribute(name: string, value: AttrValue, kind: AttrKind, opset: number): AttributeFields {
  const T = onnx().AttributeProto.AttributeType;
  switch (kind) {
    case 'graph':
      return { name, type: T.GRAPH, g: graphProto(value as Graph, opset) };
    case 'tensor':
      return { name, type: T.TENSOR, t: tensorProto('', value as Tensor) };
    case 'dtype':
      return { name, type: T.INT, i: elemType(value as DType) };
    case 'string':
      return { name, type: T.STRING, s: new TextEncoder().encode(value as string) };
    case 'ints':
      return { name, type: T.INTS, ints: value as number[] };
    case 'floats':
      return { name, type: T.FLOATS, floats: value as number[] };
    case 'int':
      return { name, type: T.INT, i: value as number };
    case 'float':
      return { name, type: T.FLOAT, f: value as number };
    default:
      throw new Error(`attribute '${name}' has no kind '${String(kind)}'`);
  }
}
