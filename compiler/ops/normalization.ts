// Batch normalization: ONNX's inference-form BatchNormalization, y = γ·(x − μ)/√(σ² + eps) + β
// with per-channel μ and σ² as inputs, and netspec's BatchNormalizationOfBatch, written as the
// same ONNX node but fed the input's own batch statistics, which changes its gradient.
import type { GraphBuilder } from '../ir/builder.js';
import type { ValueInfo } from '../ir/graph.js';
import { reshape, sizeOf } from '../ir/ops-helpers.js';
import type { Conversion, ImportContext } from '../import/conversion.js';
import { attrNumber } from '../import/conversion.js';
import type { OnnxNode } from '../onnx/read.js';
import type { Gradients, OpNode, OutputType } from './op.js';
import { defineOp, fail } from './op.js';
import { onnx } from './index.js';

const BN_ATTRS = { epsilon: 'float', momentum: 'float' } as const;

/**
 * onnxruntime 1.30's WebGPU BatchNormalization (NCHW layout) gives other numbers than the CPU
 * for a [N, C] input whose C is a multiple of 4; ranks 3 and 4 agree (docs/decisions/).
 * Lowerings view such an input as [N, C, 1, 1].
 */
const batchNormOnWebgpu = (
  node: OpNode<typeof BN_ATTRS>,
  typeOf: (value: string) => ValueInfo,
): true | string =>
  typeOf(node.inputs[0]).shape.length === 2
    ? 'onnxruntime 1.30’s WebGPU BatchNormalization is wrong for [N, C] inputs'
    : true;

/** X [N, C, …] with per-channel scale, bias, mean and variance. */
function batchNormShape([x, ...perChannel]: ValueInfo[]): OutputType[] {
  if (perChannel.some((v) => v.shape.length !== 1 || v.shape[0] !== x.shape[1]))
    fail(`BatchNormalization: statistics and affine parameters must be [${x.shape[1]}]`);
  return [{ dtype: x.dtype, shape: x.shape }];
}

export const BatchNormalization = defineOp({
  name: 'BatchNormalization',
  doc: 'γ·(x − μ)/√(σ² + eps) + β per channel, with the mean and variance given (inference form)',
  inputs: ['X', 'scale', 'B', 'input_mean', 'input_var'],
  outputs: ['Y'],
  attrs: BN_ATTRS,
  shape: batchNormShape,
  /**
   * dX = dY·γ/√(σ² + eps) per channel; dγ = Σ dY·(x − μ)/√(σ² + eps), dβ = Σ dY. The statistics
   * are buffers, never differentiated.
   */
  gradient: (b, node, [dY], needed): Gradients => {
    if (needed[3] || needed[4])
      throw new Error('BatchNormalization: running statistics have no gradient');
    const { gamma, perChannel, invStd, sum, normalized } = perChannelTerms(b, node);
    const dX = needed[0] ? mul(b, dY!, perChannel(mul(b, gamma, invStd))) : undefined;
    const dGamma = needed[1] ? sum(mul(b, dY!, normalized())) : undefined;
    const dBeta = needed[2] ? sum(dY!) : undefined;
    return [dX, dGamma, dBeta, undefined, undefined];
  },
  since: 9,
  webgpu: batchNormOnWebgpu,
  cuda: true,
  import: importBatchNorm,
});

export const BatchNormalizationOfBatch = defineOp({
  name: 'BatchNormalizationOfBatch',
  doc: 'BatchNormalization of an input already centered on its batch mean (mean input: zeros), with its biased batch variance',
  inputs: ['X', 'scale', 'B', 'zero_mean', 'batch_var'],
  outputs: ['Y'],
  attrs: BN_ATTRS,
  shape: batchNormShape,
  /**
   * With X centered (x̂ = x/σ over the M elements of each channel): dβ = Σ dY, dγ = Σ dY·x/σ
   * and dX = γ/σ · (dY − dβ/M − x̂·dγ/M), which already carries the statistics' share of the
   * gradient, so none is returned for them. Computed as dY·s − (x·a + k) with per-channel
   * s = γ/σ, a = s·dγ/(σM), k = s·dβ/M: six passes over the input where x̂ made nine.
   */
  gradient: (b, node, [dY], needed): Gradients => {
    const { x, gamma, c, perChannel, invStd, sum } = perChannelTerms(b, node);
    const dBeta = sum(dY!);
    const dGamma = mul(b, sum(mul(b, dY!, x)), invStd);
    if (!needed[0])
      return [undefined, needed[1] ? dGamma : undefined, needed[2] ? dBeta : undefined];
    const scale = mul(b, gamma, invStd);
    const perElement = b.op(onnx.Div, [scale, b.op(onnx.Div, [sizeOf(b, x), b.scalar(c)])]);
    const a = mul(b, mul(b, perElement, dGamma), invStd);
    const k = mul(b, perElement, dBeta);
    const shift = scaleAndShift(b, x, a, k, perChannel);
    const dX = b.op(onnx.Sub, [mul(b, dY!, perChannel(scale)), shift]);
    return [
      dX,
      needed[1] ? dGamma : undefined,
      needed[2] ? dBeta : undefined,
      undefined,
      undefined,
    ];
  },
  since: 9,
  writtenAs: 'BatchNormalization',
  webgpu: batchNormOnWebgpu,
  cuda: true,
});

/**
 * x·a + k per channel: one inference-form BatchNormalization pass (mean 0, variance 1, no
 * epsilon) where the target runs it for this input, a Mul and an Add otherwise.
 */
function scaleAndShift(
  b: GraphBuilder,
  x: string,
  a: string,
  k: string,
  perChannel: (v: string) => string,
): string {
  // Asked with `a` standing for the statistics, which have its shape: no constant made unused.
  if (b.runs(onnx.BatchNormalization, [x, a, k, a, a])) {
    const c = b.info(a).shape[0] as number;
    const stats = [b.floats([c], () => 0), b.floats([c], () => 1)];
    return b.op(onnx.BatchNormalization, [x, a, k, ...stats], { epsilon: 0 });
  }
  return b.op(onnx.Add, [mul(b, x, perChannel(a)), perChannel(k)]);
}

const mul = (b: GraphBuilder, x: string, y: string) => b.op(onnx.Mul, [x, y]);

/** What both batch-norm gradients use: 1/σ, per-channel broadcasting and sums, and x̂. */
function perChannelTerms(b: GraphBuilder, node: OpNode<typeof BN_ATTRS>) {
  const [x, gamma, , mean, variance] = node.inputs;
  const rank = b.info(x).shape.length;
  const c = b.info(gamma).shape[0] as number;
  const perChannel = (v: string) => reshape(b, v, [1, c, ...new Array<number>(rank - 2).fill(1)]);
  const eps = node.attrs.epsilon ?? 1e-5;
  const invStd = b.op(onnx.Div, [
    b.scalar(1),
    b.op(onnx.Sqrt, [b.op(onnx.Add, [variance, b.scalar(eps)])]),
  ]);
  const axes = [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2)];
  const sum = (v: string) => b.reduceSum(v, axes, false);
  const normalized = () => mul(b, b.op(onnx.Sub, [x, perChannel(mean)]), perChannel(invStd));
  return { x, gamma, c, perChannel, invStd, sum, normalized };
}

function importBatchNorm(node: OnnxNode, { known }: ImportContext): Conversion {
  const scale = known.constant(node.inputs[1]);
  if (!scale) return { unsupported: 'BatchNormalization whose scale is not an initializer' };
  return {
    // ONNX keeps `momentum` of the old statistics; PyTorch's is the weight of the new batch.
    layer: 'BatchNorm2d',
    args: {
      num_features: scale.dims[0],
      eps: attrNumber(node.attrs.epsilon, 1e-5),
      momentum: 1 - attrNumber(node.attrs.momentum, 0.9),
    },
    params: {
      weight: node.inputs[1],
      bias: node.inputs[2],
      running_mean: node.inputs[3],
      running_var: node.inputs[4],
    },
  };
}
