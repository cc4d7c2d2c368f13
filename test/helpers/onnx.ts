// Builds small ONNX files from a plain description, with no validation, so tests can write the
// malformed ones netspec must refuse (cycles, missing values, tensors whose data does not fill
// their dims).
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
const { FLOAT, INT64 } = onnx.TensorProto.DataType;

export interface TensorSpec {
  name: string;
  dims: number[];
  /** float32 (default) or int64. */
  type?: 'float32' | 'int64';
  /** Raw little-endian bytes; default: zeros filling the dims. */
  raw?: Uint8Array;
}

export interface GraphSpec {
  inputs: { name: string; dims: (number | string)[] }[];
  outputs: string[];
  nodes: {
    op: string;
    inputs: string[];
    outputs: string[];
    name?: string;
    attrs?: Record<string, number>;
  }[];
  initializers?: TensorSpec[];
}

const valueInfo = (name: string, dims: (number | string)[] = []) => ({
  name,
  type: {
    tensorType: {
      elemType: FLOAT,
      shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
    },
  },
});

export function onnxBytes(spec: GraphSpec): Uint8Array {
  const tensor = (t: TensorSpec) => {
    const size = t.type === 'int64' ? 8 : 4;
    const count = t.dims.reduce((n, d) => n * d, 1);
    return {
      name: t.name,
      dims: t.dims,
      dataType: t.type === 'int64' ? INT64 : FLOAT,
      rawData: t.raw ?? new Uint8Array(count * size),
    };
  };
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    producerName: 'test',
    graph: {
      name: 'g',
      input: spec.inputs.map((i) => valueInfo(i.name, i.dims)),
      output: spec.outputs.map((o) => valueInfo(o)),
      initializer: (spec.initializers ?? []).map(tensor),
      node: spec.nodes.map((n, k) => ({
        opType: n.op,
        name: n.name ?? `${n.op}_${k}`,
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attrs ?? {}).map(([name, i]) => ({
          name,
          i,
          type: onnx.AttributeProto.AttributeType.INT,
        })),
      })),
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

/** A valid linear classifier: input [N, 1, 28, 28] → Flatten → Gemm(10) → logits. */
export const LINEAR: GraphSpec = {
  inputs: [{ name: 'input', dims: ['N', 1, 28, 28] }],
  outputs: ['logits'],
  nodes: [
    { op: 'Flatten', inputs: ['input'], outputs: ['flat'] },
    {
      op: 'Gemm',
      inputs: ['flat', 'fc.weight', 'fc.bias'],
      outputs: ['logits'],
      attrs: { transB: 1 },
    },
  ],
  initializers: [
    { name: 'fc.weight', dims: [10, 784] },
    { name: 'fc.bias', dims: [10] },
  ],
};
