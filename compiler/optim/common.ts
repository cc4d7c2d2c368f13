// Graph pieces that several torch.optim update rules share. Each mirrors the tensor
// operation torch performs, in the same order, so float32 results round the same way.
import type { GraphBuilder } from '../ir/builder.js';
import { onnx } from '../ops/index.js';

/** `grad + weight_decay·param` (torch's coupled L2 penalty); `grad` itself when decay is 0. */
export function withWeightDecay(b: GraphBuilder, grad: string, param: string, decay: number) {
  if (decay === 0) return grad;
  return b.op(onnx.Add, [grad, b.op(onnx.Mul, [param, b.scalar(decay)])]);
}

/** `avg·beta + x·(1 − beta)`: torch's `avg.mul_(beta).add_(x, alpha=1 - beta)`. */
export function movingAverage(b: GraphBuilder, avg: string, x: string, beta: number): string {
  return b.op(onnx.Add, [
    b.op(onnx.Mul, [avg, b.scalar(beta)]),
    b.op(onnx.Mul, [x, b.scalar(1 - beta)]),
  ]);
}

/** `avg·beta + x²·(1 − beta)`: torch's `avg.mul_(beta).addcmul_(x, x, value=1 - beta)`. */
export function movingSquareAverage(b: GraphBuilder, avg: string, x: string, beta: number) {
  return movingAverage(b, avg, b.op(onnx.Mul, [x, x]), beta);
}

/** The step being taken, counted from 1 as torch's `state['step']` is, as a float scalar. */
export function stepNumber(b: GraphBuilder, step: string): string {
  return b.op(onnx.Cast, [b.op(onnx.Add, [step, b.scalar(1, b.info(step).dtype)])], {
    to: b.floatType,
  });
}

/** `1 − beta^t`, Adam's bias correction for an average that started at zero. */
export function biasCorrection(b: GraphBuilder, beta: number, t: string): string {
  return b.op(onnx.Sub, [b.scalar(1), b.op(onnx.Pow, [b.scalar(beta), t])]);
}
