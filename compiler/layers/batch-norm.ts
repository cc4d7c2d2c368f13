// Batch and instance norm: statistics over the batch (and the spatial axes), with PyTorch's
// buffers: running_mean, running_var (updated with the unbiased batch variance,
// new = (1−m)·old + m·batch) and num_batches_tracked (a float32 scalar here; PyTorch's int64
// loads from it with load_state_dict, which copies across dtypes). Statistics are built from
// ReduceMean and elementwise ops (not ONNX BatchNormalization's training mode), so the train
// step runs on every provider and the autodiff table covers it; batch norm then normalizes with
// an inference-form BatchNormalization node fed those statistics.
import type { GraphBuilder } from '../ir/builder.js';
import type { Shape } from '../ir/graph.js';
import { reduceMean, reshape, sizeOf } from '../ir/ops-helpers.js';
import { onnx } from '../ops/index.js';
import type { BoundArgs } from '../vocabulary/args.js';
import { boolArg, numberArg } from '../vocabulary/args.js';
import { bool } from '../vocabulary/values.js';
import type { LayerDef, LowerContext } from '../vocabulary/defs.js';
import {
  channelAffine,
  channelParams,
  checkChannels,
  EPS,
  MOMENTUM,
  standardize,
} from './norm-common.js';

/**
 * Batch norm with the batch's statistics as one BatchNormalization node: netspec's
 * BatchNormalizationOfBatch, written as BatchNormalization, fed the input centered on its batch
 * mean (the mean a constant to the gradient), a zero mean and the biased variance. Its gradient
 * rule knows they are the input's own and uses the closed form
 * dX = γ/σ·(dY − mean(dY) − x̂·mean(dY·x̂)) rather than differentiating the statistics op by
 * op: five passes over the input forward, six backward
 * (docs/decisions/0009-batch-norm-as-one-node.md).
 */
function batchStatisticsNorm(
  b: GraphBuilder,
  x: string,
  params: Record<string, string>,
  axes: number[],
  eps: number,
) {
  const mean = reduceMean(b, x, axes);
  const centered = b.op(onnx.Sub, [x, b.op(onnx.StopGradient, [mean])]);
  // Not ReduceSumSquare: onnxruntime's CPU kernel sums in order, 30 times further from the
  // exact sum over a channel of 50,176 values than Mul and ReduceSum (docs/decisions/0009).
  const variance = reduceMean(b, b.op(onnx.Mul, [centered, centered]), axes);
  const c = b.info(params.weight).shape[0] as number;
  const zero = b.floats([c], () => 0);
  const inputs = [centered, params.weight, params.bias, zero, reshape(b, variance, [c])];
  const y = batchNormNode(b, onnx.BatchNormalizationOfBatch, inputs, eps);
  return { y, mean, variance };
}

/**
 * A batch-norm node, its input viewed as [N, C, L, 1] where the target's kernel is wrong for the
 * input's rank (WebGPU's, for [N, C]): the same per-channel numbers.
 */
function batchNormNode(
  b: GraphBuilder,
  def: typeof onnx.BatchNormalization | typeof onnx.BatchNormalizationOfBatch,
  [x, ...perChannel]: string[],
  eps: number,
): string {
  if (b.runs(def, [x, ...perChannel])) return b.op(def, [x, ...perChannel], { epsilon: eps });
  const shape = b.info(x).shape;
  const rest = shape.slice(2).reduce<number>((n, d) => n * (d as number), 1);
  const view = reshape(b, x, ['N', shape[1], rest, 1]);
  return reshape(b, b.op(def, [view, ...perChannel], { epsilon: eps }), shape);
}

/** (1 − m)·old + m·batch. */
function blend(b: GraphBuilder, old: string, batch: string, m: number): string {
  const kept = b.op(onnx.Mul, [old, b.scalar(1 - m)]);
  return b.op(onnx.Add, [kept, b.op(onnx.Mul, [batch, b.scalar(m)])]);
}

interface RunningStats {
  /** The per-channel mean and unbiased variance of this batch, [C] each. */
  mean: string;
  variance: string;
}

/**
 * New buffer values after one training batch. torch counts batches in batch norm only
 * (`_BatchNorm.forward`); instance norm's num_batches_tracked keeps its loaded value.
 */
function updatedBuffers(
  b: GraphBuilder,
  params: Record<string, string>,
  stats: RunningStats,
  m: number,
  countBatches: boolean,
) {
  const count = params.num_batches_tracked;
  return {
    running_mean: blend(b, params.running_mean, stats.mean, m),
    running_var: blend(b, params.running_var, stats.variance, m),
    num_batches_tracked: countBatches
      ? b.op(onnx.Add, [count, b.scalar(1)])
      : b.op(onnx.Identity, [count]),
  };
}

/** Eval with running statistics: (x − running_mean)/√(running_var + eps). */
function withRunningStats(b: GraphBuilder, x: string, params: Record<string, string>, eps: number) {
  const rank = b.info(x).shape.length;
  const c = b.info(params.running_mean).shape[0];
  const dims: Shape = [1, c, ...new Array<number>(rank - 2).fill(1)];
  const centered = b.op(onnx.Sub, [x, reshape(b, params.running_mean, dims)]);
  const variance = b.op(onnx.Add, [reshape(b, params.running_var, dims), b.scalar(eps)]);
  return b.op(onnx.Div, [centered, b.op(onnx.Sqrt, [variance])]);
}

/**
 * Batch norm with running statistics as the one ONNX BatchNormalization node: onnxruntime folds
 * it into a preceding Conv whose weights are constant (a frozen backbone), and computes it in
 * one pass otherwise (docs/decisions/0009-batch-norm-as-one-node.md).
 */
function inferenceBatchNorm(
  b: GraphBuilder,
  x: string,
  params: Record<string, string>,
  eps: number,
): string {
  const { weight, bias, running_mean: mean, running_var: variance } = params;
  return batchNormNode(b, onnx.BatchNormalization, [x, weight, bias, mean, variance], eps);
}

/**
 * The unbiased variance from a biased one over `count` elements (a runtime float scalar). A
 * batch of one (torch refuses it) has variance 0: dividing by max(count − 1, 1) keeps the
 * running variance finite instead of 0·∞.
 */
function unbiased(b: GraphBuilder, variance: string, count: string): string {
  const dof = b.op(onnx.Max, [b.op(onnx.Sub, [count, b.scalar(1)]), b.scalar(1)]);
  const correction = b.op(onnx.Div, [count, dof]);
  return b.op(onnx.Mul, [variance, correction]);
}

/**
 * What batch and instance norm share: their arguments (torch's defaults for `affine` and
 * `track_running_stats` differ between them: both true, both false), the channel check and the
 * parameters and buffers.
 */
function channelStatistics(
  name: string,
  forms: Record<number, string>,
  defaults: boolean,
): Pick<LayerDef, 'args' | 'infer' | 'params'> {
  return {
    args: [
      { name: 'num_features', type: 'int', doc: 'the number of channels C', min: 1 },
      EPS,
      MOMENTUM,
      {
        name: 'affine',
        type: 'bool',
        default: bool(defaults),
        doc: 'learn a per-channel scale and shift',
      },
      {
        name: 'track_running_stats',
        type: 'bool',
        default: bool(defaults),
        doc: 'keep running statistics for eval',
      },
    ],
    infer: ([input], args) =>
      checkChannels(name, 'num_features', input, args, forms) ?? { shape: input },
    params: (_inputs, args) =>
      channelParams(
        numberArg(args, 'num_features'),
        boolArg(args, 'affine'),
        boolArg(args, 'track_running_stats'),
      ),
  };
}

/** Batch norm over every axis but the channels (1), for inputs of the given ranks. */
function batchNorm(name: string, forms: Record<number, string>, doc: string): LayerDef {
  return {
    name,
    doc,
    ...channelStatistics(name, forms, true),
    lower: (b, [x], params, args, ctx) => lowerBatchNorm(b, x, params, args, ctx),
  };
}

function lowerBatchNorm(
  b: GraphBuilder,
  x: string,
  params: Record<string, string>,
  args: BoundArgs,
  ctx: LowerContext,
) {
  const eps = numberArg(args, 'eps');
  const rank = b.info(x).shape.length;
  const track = boolArg(args, 'track_running_stats');
  if (ctx.mode === 'eval' && track && params.weight) return inferenceBatchNorm(b, x, params, eps);
  if (ctx.mode === 'eval' && track)
    return channelAffine(b, withRunningStats(b, x, params, eps), params, rank);
  const axes = [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2)];
  // Without affine parameters the standardized values are the output.
  const {
    y: output,
    mean,
    variance,
  } = params.weight ? batchStatisticsNorm(b, x, params, axes, eps) : standardize(b, x, axes, eps);
  if (ctx.mode === 'eval' || !track) return output;
  const c = b.info(params.running_mean).shape[0] as number;
  // Elements per channel: N·L, known only at runtime.
  const count = b.op(onnx.Div, [sizeOf(b, x), b.scalar(c)]);
  const stats = {
    mean: reshape(b, mean, [c]),
    variance: reshape(b, unbiased(b, variance, count), [c]),
  };
  return { output, updates: updatedBuffers(b, params, stats, numberArg(args, 'momentum'), true) };
}

export const BatchNorm1d = batchNorm(
  'BatchNorm1d',
  { 2: '[N, C]', 3: '[N, C, L]' },
  'Normalizes each channel of [N, C] or [N, C, L] by batch statistics, running statistics in eval (torch.nn.BatchNorm1d).',
);

export const BatchNorm2d = batchNorm(
  'BatchNorm2d',
  { 4: '[N, C, H, W]' },
  'Normalizes each channel of [N, C, H, W] by batch statistics, running statistics in eval (torch.nn.BatchNorm2d).',
);

export const InstanceNorm2d: LayerDef = {
  name: 'InstanceNorm2d',
  doc: 'Normalizes each channel of each example of [N, C, H, W] over H×W (torch.nn.InstanceNorm2d).',
  ...channelStatistics('InstanceNorm2d', { 4: '[N, C, H, W]' }, false),
  lower(b, [x], params, args, ctx) {
    const eps = numberArg(args, 'eps');
    const track = boolArg(args, 'track_running_stats');
    if (ctx.mode === 'eval' && track)
      return channelAffine(b, withRunningStats(b, x, params, eps), params, 4);
    const { y, mean, variance } = standardize(b, x, [2, 3], eps);
    const output = channelAffine(b, y, params, 4);
    if (ctx.mode === 'eval' || !track) return output;
    // As torch: the running statistics follow the batch average of the per-instance ones.
    const [, c, h, w] = b.info(x).shape as [string, number, number, number];
    const perInstance = unbiased(b, variance, b.scalar(h * w));
    const stats = {
      mean: reshape(b, reduceMean(b, mean, [0]), [c]),
      variance: reshape(b, reduceMean(b, perInstance, [0]), [c]),
    };
    return {
      output,
      updates: updatedBuffers(b, params, stats, numberArg(args, 'momentum'), false),
    };
  },
};
