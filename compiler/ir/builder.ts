// Builds IR graphs one node at a time, inferring every output's type and shape as it goes, so
// a mistake in a lowering or a gradient rule fails at the node that made it.
import type { AttrSchema, AttrValues, OpDef } from '../ops/op.js';
import type { AttrValue, DType, Graph, Node, Shape, Tensor, ValueInfo } from './graph.js';
import { tensor } from './graph.js';
import { onnx } from '../ops/index.js';
import { support } from '../ops/support.js';
import type { Target } from '../targets.js';

export class GraphBuilder {
  readonly graph: Graph;
  private counter = 0;
  /** Prefix for node origins, e.g. the layer being lowered; see `within`. */
  origin = '';
  /**
   * The CPU's NCHWc block size when this build runs trainable convolutions on onnxruntime's
   * blocked kernel (compiler/lower/blocked-conv.ts), 0 for standard ops only: gradient rules
   * choose their formulation by it.
   */
  convBlock = 0;

  /**
   * @param floatType the floating-point type of the whole graph: float32 normally, float64 for
   *   gradient checks by finite differences.
   * @param target the device the graph is for: lowerings and gradient rules ask `runs` whether
   *   it runs an op natively and otherwise emit another formulation that it does.
   */
  constructor(
    name: string,
    readonly floatType: DType = 'float32',
    readonly target: Target = 'cpu',
    graph?: Graph,
  ) {
    this.graph = graph ?? {
      name,
      inputs: [],
      outputs: [],
      nodes: [],
      initializers: new Map(),
      values: new Map(),
    };
  }

  /**
   * A builder that adds to a finished graph (a rewrite pass): fresh names continue after the
   * highest number the graph's values carry, so none collides with an existing one.
   */
  static resuming(graph: Graph, floatType: DType = 'float32'): GraphBuilder {
    const b = new GraphBuilder(graph.name, floatType, 'cpu', graph);
    for (const name of graph.values.keys()) {
      const number = /_(\d+)$/.exec(name);
      if (number) b.counter = Math.max(b.counter, Number(number[1]) + 1);
    }
    return b;
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
  op<S extends AttrSchema>(
    op: OpDef<string, S>,
    inputs: string[],
    attrs?: AttrValues<S>,
    name?: string,
  ): string {
    return this.opN(op, inputs, 1, attrs, name ? [name] : undefined)[0];
  }

  /** Emits one node with `count` outputs (an op's optional outputs are asked for by count). */
  opN<S extends AttrSchema>(
    def: OpDef<string, S>,
    inputs: string[],
    count: number,
    attrs?: AttrValues<S>,
    names?: string[],
  ): string[] {
    checkArity(def.name, 'input', inputs.length, def.inputs);
    checkArity(def.name, 'output', count, def.outputs);
    const given = (attrs ?? {}) as AttrValues<S>;
    const types = def.shape(
      inputs.map((i) => this.info(i)),
      given,
    );
    const outputs = types.slice(0, count).map((t, i) => {
      const name = names?.[i] ?? this.fresh(def.writtenAs ?? def.name);
      this.declare({ name, ...t });
      return name;
    });
    const written = given as Record<string, AttrValue>;
    const node: Node = { op: def.name, inputs, outputs, attrs: written, origin: this.origin };
    this.graph.nodes.push(node);
    return outputs;
  }

  /**
   * Emits a node whose outputs' types the caller states: control flow (Loop) and values with a
   * leading steps dimension, which shape inference does not cover.
   */
  node<S extends AttrSchema>(
    def: OpDef<string, S>,
    inputs: string[],
    outputs: ValueInfo[],
    attrs?: AttrValues<S>,
  ) {
    outputs.forEach((info) => this.declare(info));
    this.graph.nodes.push({
      op: def.name,
      inputs,
      outputs: outputs.map((o) => o.name),
      attrs: (attrs ?? {}) as Record<string, AttrValue>,
      origin: this.origin,
    });
  }

  /**
   * Whether this graph's target runs a node of `def` natively, made of these inputs with this
   * many outputs and these attributes (its verdict, compiler/ops/support.ts). Emits nothing.
   */
  runs<S extends AttrSchema>(
    def: OpDef<string, S>,
    inputs: string[] = [],
    outputs = 1,
    attrs?: AttrValues<S>,
  ): boolean {
    const node = {
      op: def.name,
      inputs,
      outputs: Array.from({ length: outputs }, (_, i) => `${def.name}:${i}`),
      attrs: (attrs ?? {}) as Record<string, AttrValue>,
      origin: this.origin,
    };
    return support(this.target, node, (value) => this.info(value)) === true;
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
    return this.op(onnx.Constant, [], { value: scalarTensor(value, dtype) });
  }

  /** A constant of the graph's float type, entry i (row-major) = fill(i). */
  floats(dims: number[], fill: (i: number) => number): string {
    const size = dims.reduce((n, d) => n * d, 1);
    const data = this.floatType === 'float64' ? new Float64Array(size) : new Float32Array(size);
    for (let i = 0; i < size; i++) data[i] = fill(i);
    return this.op(onnx.Constant, [], { value: tensor(this.floatType, dims, data) });
  }

  int64s(values: number[]): string {
    return this.op(onnx.Constant, [], {
      value: tensor('int64', [values.length], BigInt64Array.from(values.map(BigInt))),
    });
  }

  reduceSum(x: string, axes: number[], keepdims: boolean): string {
    return this.op(onnx.ReduceSum, [x, this.int64s(axes)], { keepdims: keepdims ? 1 : 0 });
  }

  /** Reshapes `x` to the runtime shape of `like`, whose static shape it takes. */
  reshapeLike(x: string, like: string): string {
    return this.op(onnx.Reshape, [x, this.op(onnx.Shape, [like])]);
  }

  private declare(info: ValueInfo): void {
    if (this.graph.values.has(info.name))
      throw new Error(`IR value '${info.name}' is defined twice`);
    this.graph.values.set(info.name, info);
  }
}

/** An op's inputs or outputs are named `x`, `x?` (optional) or `x...` (any number more). */
function checkArity(op: string, what: string, count: number, names: readonly string[]): void {
  const variadic = names.some((n) => n.endsWith('...'));
  const required = names.filter((n) => !n.endsWith('?') && !n.endsWith('...')).length;
  const most = variadic ? Infinity : names.length;
  if (count < required || count > most) {
    const range = variadic
      ? `${required} or more`
      : required === most
        ? `${most}`
        : `${required} to ${most}`;
    throw new Error(`${op} takes ${range} ${what}s, not ${count}`);
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
    case 'uint8':
      return tensor(dtype, [], Uint8Array.of(value));
    case 'bool':
      return tensor(dtype, [], Uint8Array.of(value ? 1 : 0));
  }
}
