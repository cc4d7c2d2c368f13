// netspec's intermediate representation: a static-shaped dataflow graph whose nodes are ONNX
// operators (default domain). Shapes are fully known except the batch dimension, written 'N'.
// Autodiff, the optimizers and the ONNX writer all work on this one structure.

/**
 * int32 and uint32 serve dropout's 32-bit hash, and are labels and the step counter on targets
 * that compute no int64 (WebGPU); uint8 is raw pixels fed to a device. Values are float or
 * int64 elsewhere.
 */
export type DType = 'float32' | 'float64' | 'int64' | 'int32' | 'uint32' | 'uint8' | 'bool';
export type Dim = number | 'N';
export type Shape = Dim[];

export interface ValueInfo {
  name: string;
  dtype: DType;
  shape: Shape;
  /**
   * A leading dimension of steps, 'K', comes before `shape`: the per-step inputs and outputs of
   * a several-step training run (lower/steps-loop.ts).
   */
  perStep?: boolean;
  /**
   * The content of a small integer tensor when it is known while the graph is built (a
   * Constant's, a Shape's with the batch as 'N'): shapes, axes and bounds fed to other ops.
   */
  value?: readonly (number | 'N')[];
}

/** A Graph is a control-flow node's body (Loop). */
export type AttrValue = number | number[] | string | Tensor | Graph;

export interface Node {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrValue>;
  /** The spec construct (layer path, loss, optimizer) this node implements; kept in the ONNX node name. */
  origin: string;
}

/** A constant tensor: an initializer, or the value of a Constant node's attribute. */
export interface Tensor {
  kind: 'tensor';
  dtype: DType;
  dims: number[];
  data: Float32Array | Float64Array | BigInt64Array | Int32Array | Uint32Array | Uint8Array;
}

export interface Graph {
  name: string;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  nodes: Node[];
  initializers: Map<string, Tensor>;
  /** Every value's type and shape, by name: inputs, initializers and node outputs. */
  values: Map<string, ValueInfo>;
}

export function tensor(dtype: DType, dims: number[], data: Tensor['data']): Tensor {
  return { kind: 'tensor', dtype, dims, data };
}

export function isTensor(value: AttrValue): value is Tensor {
  return typeof value === 'object' && 'kind' in value && value.kind === 'tensor';
}

export function isGraph(value: AttrValue): value is Graph {
  return typeof value === 'object' && 'nodes' in value;
}

export function formatShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Number of elements when every dimension is static; the batch counts as `batch`. */
export function elementCount(shape: Shape, batch = 1): number {
  return shape.reduce<number>((n, d) => n * (d === 'N' ? batch : d), 1);
}
