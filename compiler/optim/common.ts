// Graph pieces that several torch.optim update rules share. Each mirrors the tensor
// operation torch performs, in the same order, so float32 results round the same way.
import type { GraphBuilder } from '../ir/builder.js';

/** `grad + weight_decay·param` (torch's coupled L2 penalty); `grad` itself when decay is 0. */
export function withWeightDecay(b: GraphBuilder, grad: string, param: string, decay: number) {
  if (decay === 0) return grad;
  return b.op('Add', [grad, b.op('Mul', [param, b.scalar(decay)])]);
}

/** `avg·beta + x·(1 − beta)`: torch's `avg.mul_(beta).add_(x, alpha=1 - beta)`. */
export function movingAverage(b: GraphBuilder, avg: string, x: string, beta: number): string {
  return b.op('Add', [b.op('Mul', [avg, b.scalar(beta)]), b.op('Mul', [x, b.scalar(1 - beta)])]);
}

/** `avg·beta + x²·(1 − beta)`: torch's `avg.mul_(beta).addcmul_(x, x, value=1 - beta)`. */
export function movingSquareAverage(b: GraphBuilder, avg: string, x: string, beta: number) {
  return movingAverage(b, avg, b.op('Mul', [x, x]), beta);
}

/** The step being taken, counted from 1 as torch's `state['step']` is, as a float scalar. */
export function stepNumber(b: GraphBuilder, step: string): string {
  return b.op('Cast', [b.op('Add', [step, b.scalar(1, 'int64')])], { to: b.floatType });
}

/** `1 − beta^t`, Adam's bias correction for an average that started at zero. */
export function biasCorrection(b: GraphBuilder, beta: number, t: string): string {
  return b.op('Sub', [b.scalar(1), b.op('Pow', [b.scalar(beta), t])]);
}
