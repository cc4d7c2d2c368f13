// One entry per ONNX operator that netspec emits: how many outputs it has and how to infer
// their types and shapes from its inputs and attributes. Operator semantics follow the ONNX
// spec at opset 18 (https://onnx.ai/onnx/operators/). An op missing here cannot be emitted.
import type { AttrValue, DType, Shape, ValueInfo } from './graph.js';
import { isTensor } from './graph.js';
import { ACTIVATION_OPS } from './ops-activation.js';
import { TENSOR_BUILDER_ONLY_ATTRS, TENSOR_OPS } from './ops-tensor.js';
import { CONV_BUILDER_ONLY_ATTRS, CONV_OPS } from './ops-conv.js';

type OutputType = { dtype: DType; shape: Shape };
type Attrs = Record<string, AttrValue>;
type ShapeRule = (inputs: ValueInfo[], attrs: Attrs) => OutputType[];

export class ShapeError extends Error {}

function fail(message: string): never {
  throw new ShapeError(message);
}

function intAttr(attrs: Attrs, name: string, fallback: number): number {
  const v = attrs[name];
  return typeof v === 'number' ? v : fallback;
}

/** Numpy-style broadcasting of two shapes; the symbolic batch only broadcasts with 1 or itself. */
export function broadcastShapes(a: Shape, b: Shape): Shape {
  const rank = Math.max(a.length, b.length);
  const out: Shape = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da === db || db === 1) out.push(da);
    else if (da === 1) out.push(db);
    else fail(`shapes [${a.join(', ')}] and [${b.join(', ')}] do not broadcast`);
  }
  return out;
}

const same: ShapeRule = ([x]) => [{ dtype: x.dtype, shape: x.shape }];

const elementwise: ShapeRule = (inputs) => [
  { dtype: inputs[0].dtype, shape: inputs.map((v) => v.shape).reduce(broadcastShapes) },
];

const comparison: ShapeRule = ([a, b]) => [
  { dtype: 'bool', shape: broadcastShapes(a.shape, b.shape) },
];

function normalizeAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) fail(`axis ${axis} is out of range for rank ${rank}`);
  return a;
}

const gemm: ShapeRule = ([a, b], attrs) => {
  const [m, ka] = intAttr(attrs, 'transA', 0) ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
  const [kb, n] = intAttr(attrs, 'transB', 0) ? [b.shape[1], b.shape[0]] : [b.shape[0], b.shape[1]];
  if (ka !== kb) fail(`Gemm inner dimensions differ: ${ka} and ${kb}`);
  return [{ dtype: a.dtype, shape: [m, n] }];
};

/** MatMul of matrices, or of stacks of them (leading dimensions broadcast, as numpy). */
const matmul: ShapeRule = ([a, b]) => {
  if (a.shape.length < 2 || b.shape.length < 2) fail('MatMul: operands must be at least 2-D');
  const [m, ka] = a.shape.slice(-2);
  const [kb, n] = b.shape.slice(-2);
  if (ka !== kb) fail(`MatMul inner dimensions differ: ${ka} and ${kb}`);
  const lead = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2));
  return [{ dtype: a.dtype, shape: [...lead, m, n] }];
};

const flatten: ShapeRule = ([x], attrs) => {
  const axis = normalizeAxis(intAttr(attrs, 'axis', 1), x.shape.length + 1);
  const outer = x.shape.slice(0, axis);
  const inner = x.shape.slice(axis);
  const product = (dims: Shape) =>
    dims.includes('N') ? 'N' : dims.reduce<number>((n, d) => n * (d as number), 1);
  const outerDim = product(outer);
  const innerDim = product(inner);
  return [{ dtype: x.dtype, shape: [outerDim, innerDim] }];
};

/** Reduce ops take their axes as a constant int64 input (opset 18); the builder passes them as `axes` too. */
const reduce: ShapeRule = ([x], attrs) => {
  const axesAttr = attrs['axes'];
  const axes = Array.isArray(axesAttr)
    ? axesAttr.map((a) => normalizeAxis(a, x.shape.length))
    : x.shape.map((_, i) => i);
  const keep = intAttr(attrs, 'keepdims', 1) === 1;
  const shape: Shape = [];
  x.shape.forEach((d, i) => {
    if (!axes.includes(i)) shape.push(d);
    else if (keep) shape.push(1);
  });
  return [{ dtype: x.dtype, shape }];
};

const softmaxCrossEntropy: ShapeRule = ([scores, labels], attrs) => {
  if (scores.shape.length !== 2) fail('SoftmaxCrossEntropyLoss: scores must be [N, C]');
  if (labels.shape.length !== 1) fail('SoftmaxCrossEntropyLoss: labels must be [N]');
  const reduction = attrs['reduction'] ?? 'mean';
  const lossShape: Shape = reduction === 'none' ? [scores.shape[0]] : [];
  return [
    { dtype: scores.dtype, shape: lossShape },
    { dtype: scores.dtype, shape: scores.shape },
  ];
};

const constant: ShapeRule = (_, attrs) => {
  const value = attrs['value'];
  if (!value || !isTensor(value)) fail('Constant needs a tensor value');
  return [{ dtype: value.dtype, shape: value.dims }];
};

const cast: ShapeRule = ([x], attrs) => {
  const to = attrs['to'];
  if (typeof to !== 'string') fail('Cast needs a target type');
  return [{ dtype: to as DType, shape: x.shape }];
};

const argmax: ShapeRule = ([x], attrs) => {
  const axis = normalizeAxis(intAttr(attrs, 'axis', 0), x.shape.length);
  const keep = intAttr(attrs, 'keepdims', 1) === 1;
  const shape = keep
    ? x.shape.map((d, i) => (i === axis ? 1 : d))
    : x.shape.filter((_, i) => i !== axis);
  return [{ dtype: 'int64', shape }];
};

/** Unsqueeze takes its axes as an input; the builder passes them as `axes` too. */
const unsqueeze: ShapeRule = ([x], attrs) => {
  const axes = attrs['axes'];
  if (!Array.isArray(axes)) fail('Unsqueeze: the builder must state the axes');
  const rank = x.shape.length + axes.length;
  const inserted = new Set(axes.map((a) => normalizeAxis(a, rank)));
  const dims = [...x.shape];
  const shape: Shape = [];
  for (let i = 0; i < rank; i++) shape.push(inserted.has(i) ? 1 : dims.shift()!);
  return [{ dtype: x.dtype, shape }];
};

const where: ShapeRule = ([cond, x, y]) => [
  { dtype: x.dtype, shape: broadcastShapes(cond.shape, broadcastShapes(x.shape, y.shape)) },
];

/** Reshape's output shape comes from a runtime tensor, so the builder states it as `shape`. */
const reshape: ShapeRule = ([x], attrs) => {
  const shape = attrs['shape'];
  if (!Array.isArray(shape)) fail('Reshape: the builder must state the output shape');
  return [{ dtype: x.dtype, shape: shape.map((d) => (d === -1 ? 'N' : d)) }];
};

const gather: ShapeRule = ([data, indices], attrs) => {
  const axis = normalizeAxis(intAttr(attrs, 'axis', 0), data.shape.length);
  const shape = [...data.shape.slice(0, axis), ...indices.shape, ...data.shape.slice(axis + 1)];
  return [{ dtype: data.dtype, shape }];
};

export const OPS: Record<string, ShapeRule> = {
  Gather: gather,
  Identity: same,
  Relu: same,
  Exp: same,
  Neg: same,
  Sqrt: same,
  Add: elementwise,
  Sub: elementwise,
  Mul: elementwise,
  Div: elementwise,
  Greater: comparison,
  Equal: comparison,
  Where: where,
  Gemm: gemm,
  MatMul: matmul,
  Flatten: flatten,
  Reshape: reshape,
  Shape: ([x]) => [{ dtype: 'int64', shape: [x.shape.length] }],
  ReduceSum: reduce,
  ReduceMean: reduce,
  // Monitoring norms only (never differentiated), over all axes: no axes input at any opset.
  ReduceSumSquare: reduce,
  SoftmaxCrossEntropyLoss: softmaxCrossEntropy,
  Constant: constant,
  Cast: cast,
  ArgMax: argmax,
  Unsqueeze: unsqueeze,
  // Optimizers (AMSGrad's running maximum) and the L1 loss and its gradient.
  Max: elementwise,
  Abs: same,
  Sign: same,
  ...ACTIVATION_OPS,
  ...TENSOR_OPS,
  ...CONV_OPS,
};

/**
 * Attributes that exist only to tell the shape rules what a runtime input holds; the ONNX
 * writer drops them (ONNX takes Reduce and Unsqueeze axes and Reshape shapes as inputs).
 */
export const BUILDER_ONLY_ATTRS: Record<string, string[]> = {
  ReduceSum: ['axes'],
  ReduceMean: ['axes'],
  Reshape: ['shape'],
  Unsqueeze: ['axes'],
  ...TENSOR_BUILDER_ONLY_ATTRS,
  ...CONV_BUILDER_ONLY_ATTRS,
};

/** A node's attributes as ONNX takes them: without the builder-only ones. */
export function writtenAttrs(node: { op: string; attrs: Attrs }): Attrs {
  const builderOnly = BUILDER_ONLY_ATTRS[node.op] ?? [];
  return Object.fromEntries(
    Object.entries(node.attrs).filter(([key]) => !builderOnly.includes(key)),
  );
}

export function inferOutputs(op: string, inputs: ValueInfo[], attrs: Attrs): OutputType[] {
  const rule = OPS[op];
  if (!rule) throw new Error(`netspec has no definition of ONNX op '${op}'`);
  return rule(inputs, attrs);
}
