// Builds IR graphs one node at a time, inferring every output's type and shape as it goes, so
// a mistake in a lowering or a gradient rule fails at the node that made it.
import type { AttrValue, DType, Graph, Node, Shape, Tensor, ValueInfo } from './graph.js';
import { tensor } from './graph.js';
import { inferOutputs } from './ops.js';

export class GraphBuilder {
  readonly graph: Graph;
  private counter = 0;
  /** Prefix for node origins, e.g. the layer being lowered; see `within`. */
  origin = '';

  /**
   * @param floatType the floating-point type of the whole graph: float32 normally, float64 for
   *   gradient checks by finite differences.
   */
  constructor(
    name: string,
    readonly floatType: DType = 'float32',
  ) {
    this.graph = {
      name,
      inputs: [],
      outputs: [],
      nodes: [],
      initializers: new Map(),
      values: new Map(),
    };
  }

  info(name: string): ValueInfo {
    const info = this.graph.values.get(name);
    if (!info) throw new Error(`IR value '${name}' does not exist`);
    return info;
  }

  input(name: string, dtype: DType, shape: Shape): string {
    this.declare({ name, dtype, shape });
    this.graph.inputs.push({ name, dtype, shape });
    return name;
  }

  output(name: string): void {
    this.graph.outputs.push(this.info(name));
  }

  initializer(name: string, value: Tensor): string {
    this.declare({ name, dtype: value.dtype, shape: value.dims });
    this.graph.initializers.set(name, value);
    return name;
  }

  /** A fresh value name, readable in ONNX dumps: `relu1/Relu_7`. */
  fresh(hint: string): string {
    return `${this.origin ? this.origin + '/' : ''}${hint}_${this.counter++}`;
  }

  /** Emits one node with a single output and returns the output's name. */
  op(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}, name?: string): string {
    return this.opN(op, inputs, 1, attrs, name ? [name] : undefined)[0];
  }

  /** Emits one node with `count` outputs. */
  opN(
    op: string,
    inputs: string[],
    count: number,
    attrs: Record<string, AttrValue> = {},
    names?: string[],
  ): string[] {
    const types = inferOutputs(
      op,
      inputs.map((i) => this.info(i)),
      attrs,
    );
    const outputs = types.slice(0, count).map((t, i) => {
      const name = names?.[i] ?? this.fresh(op);
      this.declare({ name, dtype: t.dtype, shape: t.shape });
      return name;
    });
    const node: Node = { op, inputs, outputs, attrs, origin: this.origin };
    this.graph.nodes.push(node);
    return outputs;
  }

  /**
   * Emits a node whose outputs' types the caller states: control flow (Loop) and values with a
   * leading steps dimension, which shape inference does not cover.
   */
  node(op: string, inputs: string[], outputs: ValueInfo[], attrs: Record<string, AttrValue> = {}) {
    outputs.forEach((info) => this.declare(info));
    this.graph.nodes.push({
      op,
      inputs,
      outputs: outputs.map((o) => o.name),
      attrs,
      origin: this.origin,
    });
  }

  /** Runs `body` with node origins set to `origin` (the spec construct being lowered). */
  within<T>(origin: string, body: () => T): T {
    const saved = this.origin;
    this.origin = origin;
    try {
      return body();
    } finally {
      this.origin = saved;
    }
  }

  // ---- small helpers used by lowerings, gradient rules and optimizers ----------------------

  scalar(value: number, dtype: DType = this.floatType): string {
    return this.op('Constant', [], { value: scalarTensor(value, dtype) });
  }

  /** A constant of the graph's float type, entry i (row-major) = fill(i). */
  floats(dims: number[], fill: (i: number) => number): string {
    const size = dims.reduce((n, d) => n * d, 1);
    const data = this.floatType === 'float64' ? new Float64Array(size) : new Float32Array(size);
    for (let i = 0; i < size; i++) data[i] = fill(i);
    return this.op('Constant', [], { value: tensor(this.floatType, dims, data) });
  }

  int64s(values: number[]): string {
    return this.op('Constant', [], {
      value: tensor('int64', [values.length], BigInt64Array.from(values.map(BigInt))),
    });
  }

  reduceSum(x: string, axes: number[], keepdims: boolean): string {
    return this.op('ReduceSum', [x, this.int64s(axes)], { axes, keepdims: keepdims ? 1 : 0 });
  }

  /** Reshapes `x` to the runtime shape of `like`, whose static shape it takes. */
  reshapeLike(x: string, like: string): string {
    const shape = this.info(like).shape.map((d) => (d === 'N' ? -1 : d));
    return this.op('Reshape', [x, this.op('Shape', [like])], { shape });
  }

  private declare(info: ValueInfo): void {
    if (this.graph.values.has(info.name))
      throw new Error(`IR value '${info.name}' is defined twice`);
    this.graph.values.set(info.name, info);
  }
}

export function scalarTensor(value: number, dtype: DType): Tensor {
  switch (dtype) {
    case 'float32':
      return tensor(dtype, [], Float32Array.of(value));
    case 'float64':
      return tensor(dtype, [], Float64Array.of(value));
    case 'int64':
      return tensor(dtype, [], BigInt64Array.of(BigInt(value)));
    case 'int32':
      return tensor(dtype, [], Int32Array.of(value));
    case 'uint32':
      return tensor(dtype, [], Uint32Array.of(value));
    case 'bool':
      return tensor(dtype, [], Uint8Array.of(value ? 1 : 0));
  }
}
