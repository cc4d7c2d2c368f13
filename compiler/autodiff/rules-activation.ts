// Gradient rules for the elementwise activations and the softmax family. Each is the
// derivative written with the forward node's own input x and output y, as in tinygrad's
// gradient table; the driver un-broadcasts and accumulates.
import type { GraphBuilder } from '../ir/builder.js';
import type { Node } from '../ir/graph.js';
import type { GradientRule } from './rules.js';

function attr(node: Node, name: string, fallback: number): number {
  const v = node.attrs[name];
  return typeof v === 'number' ? v : fallback;
}

const mul = (b: GraphBuilder, ...xs: string[]) => xs.reduce((p, x) => b.op('Mul', [p, x]));

/** σ' = y·(1 − y). */
const sigmoid: GradientRule = (b, node, [dY]) => {
  const y = node.outputs[0];
  return [mul(b, dY!, y, b.op('Sub', [b.scalar(1), y]))];
};

/** tanh' = 1 − y². */
const tanh: GradientRule = (b, node, [dY]) => {
  const y = node.outputs[0];
  return [mul(b, dY!, b.op('Sub', [b.scalar(1), mul(b, y, y)]))];
};

/** softplus' = σ(x). */
const softplus: GradientRule = (b, node, [dY]) => [mul(b, dY!, b.op('Sigmoid', [node.inputs[0]]))];

/**
 * ONNX stores LeakyRelu's and Elu's α as a 32-bit float attribute, so even a float64 graph's
 * forward pass uses fround(α); the gradient must use the same α to be the forward's derivative.
 */
const storedAlpha = (node: Node, fallback: number) => Math.fround(attr(node, 'alpha', fallback));

/** Slope 1 for x > 0, α otherwise (PyTorch's choice at 0). */
const leakyRelu: GradientRule = (b, node, [dY]) => {
  const positive = b.op('Greater', [node.inputs[0], b.scalar(0)]);
  const alpha = b.scalar(storedAlpha(node, 0.01));
  return [b.op('Where', [positive, dY!, mul(b, dY!, alpha)])];
};

/** elu' = 1 for x > 0, else α·eˣ = y + α. */
const elu: GradientRule = (b, node, [dY]) => {
  const positive = b.op('Greater', [node.inputs[0], b.scalar(0)]);
  const slope = b.op('Add', [node.outputs[0], b.scalar(storedAlpha(node, 1))]);
  return [b.op('Where', [positive, dY!, mul(b, dY!, slope)])];
};

/** erf' = 2/√π · exp(−x²). */
const erf: GradientRule = (b, node, [dY]) => {
  const x = node.inputs[0];
  const gauss = b.op('Exp', [b.op('Neg', [mul(b, x, x)])]);
  return [mul(b, dY!, gauss, b.scalar(2 / Math.sqrt(Math.PI)))];
};

function sumAlong(b: GraphBuilder, node: Node, x: string): string {
  const rank = b.info(x).shape.length;
  const axis = attr(node, 'axis', -1);
  return b.reduceSum(x, [axis < 0 ? axis + rank : axis], true);
}

/** dx = y·(dy − Σ dy·y) along the axis. */
const softmax: GradientRule = (b, node, [dY]) => {
  const y = node.outputs[0];
  const dot = sumAlong(b, node, mul(b, dY!, y));
  return [mul(b, y, b.op('Sub', [dY!, dot]))];
};

/** dx = dy − softmax(x)·Σ dy along the axis, with softmax(x) = exp(y). */
const logSoftmax: GradientRule = (b, node, [dY]) => {
  const probs = b.op('Exp', [node.outputs[0]]);
  return [b.op('Sub', [dY!, mul(b, probs, sumAlong(b, node, dY!))])];
};

export const ACTIVATION_RULES: Record<string, GradientRule> = {
  Sigmoid: sigmoid,
  Tanh: tanh,
  Softplus: softplus,
  LeakyRelu: leakyRelu,
  Elu: elu,
  Erf: erf,
  Softmax: softmax,
  LogSoftmax: logSoftmax,
};
