// Gradient rules for arithmetic and reductions: what batch and layer normalization, GELU and
// Softplus are composed of. Binary rules return gradients shaped like the broadcast output;
// the driver sums them back to each input's shape.
import type { GraphBuilder } from '../ir/builder.js';
import type { Node } from '../ir/graph.js';
import { expandLike, reshape, sizeOf } from '../ir/ops-helpers.js';
import type { GradientRule } from './rules.js';

const mul = (b: GraphBuilder, x: string, y: string) => b.op('Mul', [x, y]);

const exp: GradientRule = (b, node, [dY]) => [mul(b, dY!, node.outputs[0])];
const log: GradientRule = (b, node, [dY]) => [b.op('Div', [dY!, node.inputs[0]])];
const neg: GradientRule = (b, _node, [dY]) => [b.op('Neg', [dY!])];

/** √x' = 1 / (2√x). */
const sqrt: GradientRule = (b, node, [dY]) => [
  b.op('Div', [dY!, mul(b, b.scalar(2), node.outputs[0])]),
];

/** d(x/y) = dy/y for x, −dy·x/y² = −dy·(x/y)/y for y. */
const div: GradientRule = (b, node, [dY], needed) => {
  const [, y] = node.inputs;
  const dX = b.op('Div', [dY!, y]);
  const dDenominator = needed[1]
    ? b.op('Neg', [b.op('Div', [mul(b, dY!, node.outputs[0]), y])])
    : undefined;
  return [dX, dDenominator];
};

/** d(xᵉ) = e·xᵉ⁻¹ for x, xᵉ·ln x for e. */
const pow: GradientRule = (b, node, [dY], needed) => {
  const [x, e] = node.inputs;
  const dX = needed[0]
    ? mul(b, dY!, mul(b, e, b.op('Pow', [x, b.op('Sub', [e, b.scalar(1)])])))
    : undefined;
  const dE = needed[1] ? mul(b, dY!, mul(b, node.outputs[0], b.op('Log', [x]))) : undefined;
  return [dX, dE];
};

/** The chosen branch gets the gradient, the other zero; the condition none. */
const where: GradientRule = (b, node, [dY], needed) => {
  const [cond] = node.inputs;
  const zero = b.scalar(0);
  return [
    undefined,
    needed[1] ? b.op('Where', [cond, dY!, zero]) : undefined,
    needed[2] ? b.op('Where', [cond, zero, dY!]) : undefined,
  ];
};

/** The reduced axes of a Reduce node (all of them when none are stated). */
function reducedAxes(b: GraphBuilder, node: Node): number[] {
  const rank = b.info(node.inputs[0]).shape.length;
  const axes = node.attrs['axes'];
  if (!Array.isArray(axes)) return Array.from({ length: rank }, (_, i) => i);
  return axes.map((a) => (a < 0 ? a + rank : a));
}

/** Spreads a reduction's output gradient back over the reduced axes. */
function spread(b: GraphBuilder, node: Node, dY: string): string {
  const x = node.inputs[0];
  const axes = reducedAxes(b, node);
  const kept = b.info(x).shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const keep = node.attrs['keepdims'] === 0 ? reshape(b, dY, kept) : dY;
  return expandLike(b, keep, x);
}

const reduceSum: GradientRule = (b, node, [dY]) => [spread(b, node, dY!), undefined];

/** Like ReduceSum, divided by how many elements each output averaged. */
const reduceMean: GradientRule = (b, node, [dY]) => {
  const x = node.inputs[0];
  const shape = b.info(x).shape;
  const counted = reducedAxes(b, node).map((a) => shape[a]);
  // A static count is a constant; one over the batch is Size(y)/Size(x) at runtime.
  const scale = counted.includes('N')
    ? b.op('Div', [sizeOf(b, node.outputs[0]), sizeOf(b, x)])
    : b.scalar(1 / counted.reduce<number>((n, d) => n * (d as number), 1));
  return [mul(b, spread(b, node, dY!), scale), undefined];
};

/**
 * Inference-mode BatchNormalization, y = γ·(x − μ)/√(σ² + eps) + β with fixed μ, σ²: dX is
 * dY·γ/√(σ² + eps) per channel; dγ = Σ dY·(x − μ)/√(σ² + eps), dβ = Σ dY. The statistics are
 * buffers, never differentiated.
 */
const batchNormalization: GradientRule = (b, node, [dY], needed) => {
  if (node.attrs['batch_statistics'] === 1) return batchStatisticsGrad(b, node, dY!, needed);
  if (needed[3] || needed[4])
    throw new Error('BatchNormalization: running statistics have no gradient');
  const { gamma, perChannel, invStd, sum, normalized } = perChannelTerms(b, node);
  const dX = needed[0] ? mul(b, dY!, perChannel(mul(b, gamma, invStd))) : undefined;
  const dGamma = needed[1] ? sum(mul(b, dY!, normalized())) : undefined;
  const dBeta = needed[2] ? sum(dY!) : undefined;
  return [dX, dGamma, dBeta, undefined, undefined];
};

/** What both batch-norm gradients use: 1/σ, per-channel broadcasting and sums, and x̂. */
function perChannelTerms(b: GraphBuilder, node: Node) {
  const [x, gamma, , mean, variance] = node.inputs;
  const rank = b.info(x).shape.length;
  const c = b.info(gamma).shape[0] as number;
  const perChannel = (v: string) => reshape(b, v, [1, c, ...new Array<number>(rank - 2).fill(1)]);
  const eps = typeof node.attrs['epsilon'] === 'number' ? node.attrs['epsilon'] : 1e-5;
  const invStd = b.op('Div', [b.scalar(1), b.op('Sqrt', [b.op('Add', [variance, b.scalar(eps)])])]);
  const axes = [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2)];
  const sum = (v: string) => b.reduceSum(v, axes, false);
  const normalized = () => mul(b, b.op('Sub', [x, perChannel(mean)]), perChannel(invStd));
  return { x, gamma, c, perChannel, invStd, sum, normalized };
}

/**
 * Batch norm whose mean and variance are the batch's own (biased) statistics over the M
 * elements of each channel: with x̂ = (x − μ)/σ, dβ = Σ dY, dγ = Σ dY·x̂ and
 * dX = γ/σ · (dY − dβ/M − x̂·dγ/M), which already carries the statistics' share of the
 * gradient, so none is returned for them.
 */
function batchStatisticsGrad(
  b: GraphBuilder,
  node: Node,
  dY: string,
  needed: boolean[],
): (string | undefined)[] {
  const { x, gamma, c, perChannel, invStd, sum, normalized } = perChannelTerms(b, node);
  const xHat = normalized();
  const dBeta = sum(dY);
  const dGamma = sum(mul(b, dY, xHat));
  if (!needed[0]) return [undefined, needed[1] ? dGamma : undefined, needed[2] ? dBeta : undefined];
  const scale = mul(b, gamma, invStd);
  const perElement = b.op('Div', [scale, b.op('Div', [sizeOf(b, x), b.scalar(c)])]);
  const shift = b.op('Add', [
    mul(b, xHat, perChannel(mul(b, perElement, dGamma))),
    perChannel(mul(b, perElement, dBeta)),
  ]);
  const dX = b.op('Sub', [mul(b, dY, perChannel(scale)), shift]);
  return [dX, needed[1] ? dGamma : undefined, needed[2] ? dBeta : undefined, undefined, undefined];
}

export const MATH_RULES: Record<string, GradientRule> = {
  BatchNormalization: batchNormalization,
  Exp: exp,
  Log: log,
  Neg: neg,
  Sqrt: sqrt,
  Div: div,
  Pow: pow,
  Where: where,
  ReduceSum: reduceSum,
  ReduceMean: reduceMean,
};
