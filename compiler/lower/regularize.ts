// Graph pieces for the train block's regularization and stability settings: the L2 penalty in
// the loss, the global gradient norm, clipping (torch.nn.utils semantics) and SAM's ascent step.
// Only Add/Mul/Div/Max/Neg/Sqrt/ReduceSum are used, all with shape rules and gradient rules.
import type { GraphBuilder } from '../ir/builder.js';
import { integerType } from '../targets.js';
import { onnx } from '../ops/index.js';
import type { Regularization } from '../vocabulary/model.js';

/** Σ over all elements of x², as a scalar. */
function sumSquares(b: GraphBuilder, x: string): string {
  const rank = b.info(x).shape.length;
  const axes = Array.from({ length: rank }, (_, i) => i);
  const squared = b.op(onnx.Mul, [x, x]);
  return rank === 0 ? squared : b.reduceSum(squared, axes, false);
}

/**
 * √(Σ_t ‖t‖²) over several tensors: torch's total 2-norm of a list of gradients. One
 * `ReduceSumSquare` per tensor, a single pass where `Mul` and `ReduceSum` are two: the norms
 * are monitoring outputs and clipping factors, never differentiated.
 */
export function globalNorm(b: GraphBuilder, values: string[]): string {
  const sums = values.map((v) =>
    b.info(v).shape.length === 0
      ? b.op(onnx.Mul, [v, v])
      : b.op(onnx.ReduceSumSquare, [v], { keepdims: 0 }),
  );
  return b.op(onnx.Sqrt, [sums.reduce((acc, s) => b.op(onnx.Add, [acc, s]))]);
}

/** Whether `weight_decay`'s penalty applies to a parameter (`exclude` words in its path). */
export function decays(reg: Regularization, name: string): boolean {
  return !!reg.weightDecay && !reg.weightDecay.exclude.some((word) => name.includes(word));
}

/** λ·Σ‖θ‖² over the decayed parameters; undefined when nothing decays. */
export function l2Penalty(
  b: GraphBuilder,
  reg: Regularization,
  params: ReadonlyMap<string, string>,
): string | undefined {
  const decayed = [...params].filter(([name]) => decays(reg, name)).map(([, v]) => v);
  if (!reg.weightDecay || reg.weightDecay.lambda === 0 || decayed.length === 0) return undefined;
  const sums = decayed.map((v) => sumSquares(b, v));
  const total = sums.reduce((acc, s) => b.op(onnx.Add, [acc, s]));
  return b.op(onnx.Mul, [total, b.scalar(reg.weightDecay.lambda)]);
}

const min = (b: GraphBuilder, x: string, y: string) =>
  b.op(onnx.Neg, [b.op(onnx.Max, [b.op(onnx.Neg, [x]), b.op(onnx.Neg, [y])])]);

/**
 * Clipped gradients. grad_norm: g·min(1, c/(‖g‖ + 1e-6)) with ‖g‖ the global norm (given),
 * as clip_grad_norm_; grad_value: each element clamped to [−v, v], as clip_grad_value_.
 */
export function clipGradients(
  b: GraphBuilder,
  clip: NonNullable<Regularization['clip']>,
  grads: Map<string, string>,
  norm: string,
): Map<string, string> {
  const out = new Map<string, string>();
  if (clip.kind === 'grad_norm') {
    const coef = b.op(onnx.Div, [b.scalar(clip.max), b.op(onnx.Add, [norm, b.scalar(1e-6)])]);
    const clamped = min(b, coef, b.scalar(1));
    for (const [k, g] of grads) out.set(k, b.op(onnx.Mul, [g, clamped]));
  } else {
    const v = clip.value;
    for (const [k, g] of grads) out.set(k, b.op(onnx.Max, [min(b, g, b.scalar(v)), b.scalar(-v)]));
  }
  return out;
}

/**
 * SAM's ascent: θ + ρ·g/(‖g‖ + 1e-12) per parameter (the reference implementation's epsilon),
 * the point at which the second gradient is taken.
 */
export function samPerturb(
  b: GraphBuilder,
  rho: number,
  params: ReadonlyMap<string, string>,
  grads: ReadonlyMap<string, string>,
  norm: string,
): Map<string, string> {
  const scale = b.op(onnx.Div, [b.scalar(rho), b.op(onnx.Add, [norm, b.scalar(1e-12)])]);
  const out = new Map<string, string>();
  for (const [name, p] of params) {
    out.set(name, b.op(onnx.Add, [p, b.op(onnx.Mul, [grads.get(p)!, scale])]));
  }
  return out;
}

/**
 * Indices of the first and second half of the batch (the second gets the odd example), for
 * the half-batch gradient-variance estimate.
 * Where int64 is not computed with (WebGPU), the batch is counted in int32 on the device,
 * and Range reads its bounds from there.
 */
export function batchHalves(b: GraphBuilder, x: string): [string, string] {
  const type = integerType(b.target);
  const int = (v: number) => b.scalar(v, type);
  const n =
    type === 'int64'
      ? b.op(onnx.Gather, [b.op(onnx.Shape, [x]), int(0)], { axis: 0 })
      : b.reduceSum(
          b.op(onnx.Expand, [int(1), b.op(onnx.Shape, [x], { start: 0, end: 1 })]),
          [0],
          false,
        );
  const half = b.op(onnx.Div, [n, int(2)]);
  const first = b.op(onnx.Range, [int(0), half, int(1)]);
  const second = b.op(onnx.Range, [half, n, int(1)]);
  return [first, second];
}

/**
 * ‖g_A − g_B‖²/4 for the gradients of the two half batches: for independent halves its
 * expectation is tr Var(g), the variance of the minibatch gradient g = (g_A + g_B)/2.
 */
export function halvesVariance(b: GraphBuilder, a: string[], c: string[]): string {
  const diffs = a.map((g, k) => b.op(onnx.Sub, [g, c[k]]));
  const norm = globalNorm(b, diffs);
  return b.op(onnx.Mul, [b.op(onnx.Mul, [norm, norm]), b.scalar(0.25)]);
}
