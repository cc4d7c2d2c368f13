// The gradient rules: one entry per ONNX op, keyed by op type. A rule receives the forward
// node and the gradients of its outputs (undefined where nothing flows back) and returns the
// gradient of each input (undefined where none is needed). Rules may return gradients shaped
// like the broadcast result; the driver un-broadcasts them. `NO_GRADIENT` marks ops whose
// inputs never need one (shapes, constants, integer indices).
import type { GraphBuilder } from '../ir/builder.js';
import type { Node } from '../ir/graph.js';
import { ACTIVATION_RULES } from './rules-activation.js';
import { CONV_RULES } from './rules-conv.js';
import { MATH_RULES } from './rules-math.js';
import { TENSOR_RULES } from './rules-tensor.js';

export type GradientRule = (
  b: GraphBuilder,
  node: Node,
  outputGrads: (string | undefined)[],
  needed: boolean[],
) => (string | undefined)[];

const NO_GRADIENT: GradientRule = (_b, node) => node.inputs.map(() => undefined);

function attr(node: Node, name: string, fallback: number): number {
  const v = node.attrs[name];
  return typeof v === 'number' ? v : fallback;
}

/** Y = α·op(A)·op(B) + β·C, where op transposes when transA/transB is set. */
const gemm: GradientRule = (b, node, [dY], needed) => {
  const [A, B] = node.inputs;
  const tA = attr(node, 'transA', 0);
  const tB = attr(node, 'transB', 0);
  const alpha = attr(node, 'alpha', 1);
  const beta = attr(node, 'beta', 1);
  const g = dY!;
  // dA = α·dY·op(B)ᵀ, laid out like A; dB = α·op(A)ᵀ·dY, laid out like B.
  const dA = !needed[0]
    ? undefined
    : tA
      ? b.op('Gemm', [B, g], { alpha, transA: tB, transB: 1 })
      : b.op('Gemm', [g, B], { alpha, transB: tB ? 0 : 1 });
  const dB = !needed[1]
    ? undefined
    : tB
      ? b.op('Gemm', [g, A], { alpha, transA: 1, transB: tA })
      : b.op('Gemm', [A, g], { alpha, transA: tA ? 0 : 1 });
  const dC = needed[2] ? (beta === 1 ? g : b.op('Mul', [g, b.scalar(beta)])) : undefined;
  return [dA, dB, dC];
};

/**
 * ReLU passes the gradient where the input was positive (0 at 0, as PyTorch does). The mask is
 * cast to a float and multiplied in: onnxruntime's `Where` with a broadcast scalar is a slower
 * pass than `Cast` and `Mul` together (ARCHITECTURE.md). It is read off the output (y > 0
 * exactly where x > 0), so the input has no reader but the ReLU and onnxruntime can fuse a
 * Conv before it into one node.
 */
const relu: GradientRule = (b, node, [dY]) => {
  const y = node.outputs[0];
  const positive = b.op('Cast', [b.op('Greater', [y, b.scalar(0)])], { to: b.floatType });
  return [b.op('Mul', [dY!, positive])];
};

/** Reshaping ops move no numbers: the gradient is reshaped back. */
const reshapeBack: GradientRule = (b, node, [dY]) => [
  b.reshapeLike(dY!, node.inputs[0]),
  ...node.inputs.slice(1).map(() => undefined),
];

/** mean softmax cross-entropy: ∂/∂scores = (softmax(scores) − onehot(labels)) / N. */
const softmaxCrossEntropy: GradientRule = (b, node, [dLoss]) => {
  const [scores, labels] = node.inputs;
  const logProb = node.outputs[1];
  if (node.attrs['reduction'] !== 'mean')
    throw new Error('SoftmaxCrossEntropyLoss: only the mean reduction has a gradient rule');
  const classes = b.info(scores).shape[1] as number;
  // One-hot as labels[:, None] == arange(C): portable to every provider and float type.
  const column = b.op('Unsqueeze', [labels, b.int64s([1])], { axes: [1] });
  const classIds = b.int64s(Array.from({ length: classes }, (_, i) => i));
  const oneHot = b.op('Cast', [b.op('Equal', [column, classIds])], { to: b.floatType });
  const batch = b.op(
    'Gather',
    [b.op('Shape', [scores]), b.op('Constant', [], { value: scalarInt(0) })],
    { axis: 0 },
  );
  const n = b.op('Cast', [batch], { to: b.floatType });
  const diff = b.op('Sub', [b.op('Exp', [logProb]), oneHot]);
  return [b.op('Mul', [diff, b.op('Div', [dLoss!, n])]), undefined];
};

const add: GradientRule = (_b, _node, [dY]) => [dY, dY];
const sub: GradientRule = (b, _node, [dY], needed) => [
  dY,
  needed[1] ? b.op('Neg', [dY!]) : undefined,
];
const mul: GradientRule = (b, node, [dY], needed) => {
  const [x, y] = node.inputs;
  return [
    needed[0] ? b.op('Mul', [dY!, y]) : undefined,
    needed[1] ? b.op('Mul', [dY!, x]) : undefined,
  ];
};
const identity: GradientRule = (_b, _node, [dY]) => [dY];
/** |x|' = sign(x): 0 at 0, as PyTorch (the l1 loss). */
const abs: GradientRule = (b, node, [dY]) => [b.op('Mul', [dY!, b.op('Sign', [node.inputs[0]])])];

function scalarInt(value: number) {
  return {
    kind: 'tensor' as const,
    dtype: 'int64' as const,
    dims: [],
    data: BigInt64Array.of(BigInt(value)),
  };
}

export const GRADIENT_RULES: Record<string, GradientRule> = {
  Gemm: gemm,
  Relu: relu,
  Flatten: reshapeBack,
  Reshape: reshapeBack,
  SoftmaxCrossEntropyLoss: softmaxCrossEntropy,
  Add: add,
  Sub: sub,
  Mul: mul,
  Identity: identity,
  Abs: abs,
  Constant: NO_GRADIENT,
  Shape: NO_GRADIENT,
  ArgMax: NO_GRADIENT,
  Equal: NO_GRADIENT,
  Greater: NO_GRADIENT,
  Cast: NO_GRADIENT,
  Gather: NO_GRADIENT,
  ...ACTIVATION_RULES,
  ...MATH_RULES,
  ...TENSOR_RULES,
  ...CONV_RULES,
};
