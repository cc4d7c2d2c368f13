// The gradient-check table: one or more rows per differentiable op, in the style of JAX's
// lax_autodiff_test.py — input shapes (broadcasting included), attributes, input domain and
// tolerance. rules.test.ts checks each row against finite differences; op-table.test.ts checks
// that every op with a gradient rule has a row.
import type { GraphBuilder } from '../../../compiler/ir/builder.js';
import type { Shape } from '../../../compiler/ir/graph.js';
import { tensor } from '../../../compiler/ir/graph.js';
import { expandLike, pad, reduceMean, reshape, slice } from '../../../compiler/ir/ops-helpers.js';
import { onnx } from '../../../compiler/ops/index.js';
import type { AttrSchema, AttrValues, OpDef } from '../../../compiler/ops/op.js';

/**
 * real: N(0,1); positive: ≥ 0.5 (Log, Sqrt, denominators); away: |x| ≥ 0.3, off kinks at 0;
 * wide: 4·N(0,1), reaching past ±3 (the ends of hard sigmoids).
 */
export type Domain = 'real' | 'positive' | 'away' | 'wide';
export interface Row {
  /** The op whose gradient rule the row checks. */
  op: OpDef;
  name: string;
  inputs: { shape: Shape; domain?: Domain }[];
  build: (b: GraphBuilder, xs: string[]) => string;
  tol?: number;
  /** float32 for ops onnxruntime has no float64 kernel for (Erf), with a wider step and tolerance. */
  float32?: boolean;
}

const op =
  <S extends AttrSchema>(type: OpDef<string, S>, attrs?: AttrValues<S>) =>
  (b: GraphBuilder, xs: string[]) =>
    b.op(type, xs, attrs);
const real = (...shape: Shape) => ({ shape });
const positive = (...shape: Shape) => ({ shape, domain: 'positive' as const });
const away = (...shape: Shape) => ({ shape, domain: 'away' as const });
const wide = (...shape: Shape) => ({ shape, domain: 'wide' as const });

export const ROWS: Row[] = [
  { op: onnx.Sigmoid, name: 'Sigmoid', inputs: [real(3, 4)], build: op(onnx.Sigmoid) },
  { op: onnx.Tanh, name: 'Tanh', inputs: [real(3, 4)], build: op(onnx.Tanh) },
  { op: onnx.Softplus, name: 'Softplus', inputs: [real(3, 4)], build: op(onnx.Softplus) },
  {
    op: onnx.LeakyRelu,
    name: 'LeakyRelu α=0.2',
    inputs: [away(3, 4)],
    build: op(onnx.LeakyRelu, { alpha: 0.2 }),
  },
  { op: onnx.Elu, name: 'Elu α=1.5', inputs: [away(3, 4)], build: op(onnx.Elu, { alpha: 1.5 }) },
  {
    op: onnx.Erf,
    name: 'Erf (float32)',
    inputs: [real(3, 4)],
    build: op(onnx.Erf),
    float32: true,
    tol: 2e-3,
  },
  { op: onnx.Exp, name: 'Exp', inputs: [real(3, 4)], build: op(onnx.Exp) },
  { op: onnx.Log, name: 'Log', inputs: [positive(3, 4)], build: op(onnx.Log) },
  { op: onnx.Neg, name: 'Neg', inputs: [real(3, 4)], build: op(onnx.Neg) },
  { op: onnx.Sqrt, name: 'Sqrt', inputs: [positive(3, 4)], build: op(onnx.Sqrt) },
  { op: onnx.Div, name: 'Div [N,4]/[4]', inputs: [real('N', 4), positive(4)], build: op(onnx.Div) },
  {
    op: onnx.Div,
    name: 'Div [3,1]/[1,4]',
    inputs: [real(3, 1), positive(1, 4)],
    build: op(onnx.Div),
  },
  {
    op: onnx.Pow,
    name: 'Pow [3,4]^[1,4]',
    inputs: [positive(3, 4), real(1, 4)],
    build: op(onnx.Pow),
  },
  { op: onnx.Mul, name: 'Mul [N,3]·[3]', inputs: [real('N', 3), real(3)], build: op(onnx.Mul) },
  {
    op: onnx.Softmax,
    name: 'Softmax axis 1',
    inputs: [real(2, 3, 4)],
    build: op(onnx.Softmax, { axis: 1 }),
  },
  {
    op: onnx.Softmax,
    name: 'Softmax axis -1',
    inputs: [real(2, 5)],
    build: op(onnx.Softmax, { axis: -1 }),
  },
  {
    op: onnx.LogSoftmax,
    name: 'LogSoftmax axis 0',
    inputs: [real(3, 4)],
    build: op(onnx.LogSoftmax, { axis: 0 }),
  },
  {
    op: onnx.ReduceMean,
    name: 'ReduceMean [0,2] keep',
    inputs: [real('N', 3, 4)],
    build: mean([0, 2], true),
  },
  {
    op: onnx.ReduceMean,
    name: 'ReduceMean [1] drop',
    inputs: [real(2, 3, 4)],
    build: mean([1], false),
  },
  {
    op: onnx.ReduceSum,
    name: 'ReduceSum [1] drop',
    inputs: [real('N', 3, 4)],
    build: sum([1], false),
  },
  { op: onnx.ReduceSum, name: 'ReduceSum [-1] keep', inputs: [real(2, 3)], build: sum([-1], true) },
  {
    op: onnx.BatchNormalization,
    name: 'BatchNormalization (inference: fixed statistics) x, γ, β',
    inputs: [real('N', 3, 2, 2), real(3), real(3)],
    build: (b, [x, gamma, beta]) => {
      const stat = (values: number[]) =>
        b.op(onnx.Constant, [], { value: tensor(b.floatType, [3], Float64Array.from(values)) });
      const [mean, variance] = [stat([0.3, -0.2, 0.1]), stat([0.5, 2, 1.3])];
      return b.op(onnx.BatchNormalization, [x, gamma, beta, mean, variance], { epsilon: 1e-3 });
    },
  },
  {
    op: onnx.Transpose,
    name: 'Transpose [2,0,1]',
    inputs: [real(2, 3, 4)],
    build: op(onnx.Transpose, { perm: [2, 0, 1] }),
  },
  {
    op: onnx.Concat,
    name: 'Concat axis 1',
    inputs: [real('N', 3), real('N', 2)],
    build: op(onnx.Concat, { axis: 1 }),
  },
  {
    op: onnx.Concat,
    name: 'Concat axis -1',
    inputs: [real(2, 2, 1), real(2, 2, 3)],
    build: op(onnx.Concat, { axis: -1 }),
  },
  {
    op: onnx.Slice,
    name: 'Slice',
    inputs: [real('N', 5, 4)],
    build: (b, [x]) => slice(b, x, [1, -3], [4, 99], [1, 2]),
  },
  {
    op: onnx.Pad,
    name: 'Pad',
    inputs: [real('N', 3, 2)],
    build: (b, [x]) => pad(b, x, [0, 1, 0, 0, 2, 3]),
  },
  { op: onnx.Where, name: 'Where', inputs: [real(3, 4), real(4)], build: where },
  {
    op: onnx.Expand,
    name: 'Expand [1,4]→[N,3,4]',
    inputs: [real(1, 4), real('N', 3, 4)],
    build: expand,
  },
  { op: onnx.Add, name: 'Add [N,3]+[3]', inputs: [real('N', 3), real(3)], build: op(onnx.Add) },
  { op: onnx.Sub, name: 'Sub [3,1]−[1,4]', inputs: [real(3, 1), real(1, 4)], build: op(onnx.Sub) },
  { op: onnx.Relu, name: 'Relu', inputs: [away(3, 4)], build: op(onnx.Relu) },
  {
    op: onnx.HardSigmoid,
    name: 'HardSigmoid α=1/6 β=0.5 (its middle and both ends)',
    inputs: [wide(4, 5)],
    build: op(onnx.HardSigmoid, { alpha: 1 / 6, beta: 0.5 }),
  },
  { op: onnx.HardSwish, name: 'HardSwish', inputs: [wide(4, 5)], build: op(onnx.HardSwish) },
  { op: onnx.Abs, name: 'Abs', inputs: [away(3, 4)], build: op(onnx.Abs) },
  { op: onnx.Clip, name: 'Clip [−0.5, 0.7]', inputs: [real(4, 5)], build: clip(-0.5, 0.7) },
  { op: onnx.Identity, name: 'Identity', inputs: [real(3, 4)], build: op(onnx.Identity) },
  {
    op: onnx.Reshape,
    name: 'Reshape [N,3,4]→[N,12]',
    inputs: [real('N', 3, 4)],
    build: (b, [x]) => reshape(b, x, ['N', 12]),
  },
  { op: onnx.Flatten, name: 'Flatten axis 1', inputs: [real('N', 2, 3)], build: op(onnx.Flatten) },
  {
    op: onnx.Unsqueeze,
    name: 'Unsqueeze [1]',
    inputs: [real(3, 4)],
    build: (b, [x]) => b.op(onnx.Unsqueeze, [x, b.int64s([1])]),
  },
  {
    op: onnx.Gemm,
    name: 'Gemm x·Wᵀ + b',
    inputs: [real('N', 4), real(3, 4), real(3)],
    build: op(onnx.Gemm, { transB: 1 }),
  },
  {
    op: onnx.Gemm,
    name: 'Gemm α·Aᵀ·B + β·C',
    inputs: [real(4, 3), real(4, 5), real(3, 5)],
    build: op(onnx.Gemm, { transA: 1, alpha: 0.5, beta: 2 }),
  },
  {
    op: onnx.MatMul,
    name: 'MatMul [2,3,4]·[4,5]',
    inputs: [real(2, 3, 4), real(4, 5)],
    build: op(onnx.MatMul),
  },
  {
    op: onnx.BatchNormalizationOfBatch,
    name: 'BatchNormalizationOfBatch (its own batch statistics) x, γ, β',
    inputs: [real('N', 3, 2, 2), real(3), real(3)],
    build: batchStatistics,
  },
  {
    op: onnx.SoftmaxCrossEntropyLoss,
    name: 'SoftmaxCrossEntropyLoss mean',
    inputs: [real(2, 5)],
    build: (b, [scores]) => {
      const labels = b.op(onnx.Constant, [], {
        value: tensor('int64', [2], BigInt64Array.of(3n, 0n)),
      });
      return b.opN(onnx.SoftmaxCrossEntropyLoss, [scores, labels], 2, { reduction: 'mean' })[0];
    },
  },
  // onnxruntime's CPU provider has no float64 Conv or pooling kernels. These ops are linear
  // (Conv is bilinear in x and W), so the central difference in float32 is exact up to rounding.
  {
    op: onnx.Conv,
    name: 'Conv stride 2, padding 1, groups 2 (float32)',
    inputs: [real(2, 4, 5, 5), real(6, 2, 3, 3), real(6)],
    build: op(onnx.Conv, { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], group: 2 }),
    float32: true,
    tol: 1e-3,
  },
  {
    op: onnx.MaxPool,
    name: 'MaxPool 2×2 disjoint (float32)',
    inputs: [real(2, 3, 4, 4)],
    build: maxPool({ kernel_shape: [2, 2], strides: [2, 2] }),
    float32: true,
    tol: 1e-3,
  },
  {
    op: onnx.MaxPool,
    name: 'MaxPool 3×3 stride 2 overlapping (float32)',
    inputs: [real(2, 3, 7, 7)],
    build: maxPool({ kernel_shape: [3, 3], strides: [2, 2] }),
    float32: true,
    tol: 1e-3,
  },
  {
    op: onnx.AveragePool,
    name: 'AveragePool 3×3 stride 2 padding 1 (float32)',
    inputs: [real(2, 3, 6, 6)],
    build: op(onnx.AveragePool, { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }),
    float32: true,
    tol: 1e-3,
  },
  {
    op: onnx.GlobalAveragePool,
    name: 'GlobalAveragePool (float32)',
    inputs: [real(2, 3, 4, 5)],
    build: op(onnx.GlobalAveragePool),
    float32: true,
    tol: 1e-3,
  },
];

function mean(axes: number[], keep: boolean) {
  return (b: GraphBuilder, [x]: string[]) => reduceMean(b, x, axes, keep);
}
function sum(axes: number[], keep: boolean) {
  return (b: GraphBuilder, [x]: string[]) => b.reduceSum(x, axes, keep);
}
/** Where with a fixed pattern: both branches get a gradient. */
function where(b: GraphBuilder, [x, y]: string[]) {
  const mask = Uint8Array.from({ length: 12 }, (_, i) => (i % 3 === 0 ? 1 : 0));
  const cond = b.op(onnx.Constant, [], { value: tensor('bool', [3, 4], mask) });
  return b.op(onnx.Where, [cond, x, y]);
}
/** Expand's second input only gives the shape; it is multiplied in so both inputs matter. */
function expand(b: GraphBuilder, [x, like]: string[]) {
  return b.op(onnx.Mul, [expandLike(b, x, like), like]);
}

/** Clip with constant bounds. */
function clip(lo: number, hi: number) {
  return (b: GraphBuilder, [x]: string[]) => b.op(onnx.Clip, [x, b.scalar(lo), b.scalar(hi)]);
}
/** MaxPool with its Indices output, as training graphs emit it (the gradient needs it). */
function maxPool(attrs: { kernel_shape: number[]; strides: number[] }) {
  return (b: GraphBuilder, [x]: string[]) => b.opN(onnx.MaxPool, [x], 2, attrs)[0];
}
/**
 * Batch norm fed its input centered on its batch mean (a constant to the gradient, whose share
 * the rule carries), a zero mean and the biased variance, as BatchNorm2d trains.
 */
function batchStatistics(b: GraphBuilder, [x, gamma, beta]: string[]) {
  const mean = reduceMean(b, x, [0, 2, 3]);
  const centered = b.op(onnx.Sub, [x, b.op(onnx.StopGradient, [mean])]);
  const variance = reduceMean(b, b.op(onnx.Mul, [centered, centered]), [0, 2, 3]);
  const [zero, v] = [b.floats([3], () => 0), reshape(b, variance, [3])];
  return b.op(onnx.BatchNormalizationOfBatch, [centered, gamma, beta, zero, v], { epsilon: 1e-3 });
}
