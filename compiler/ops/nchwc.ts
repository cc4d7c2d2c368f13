// onnxruntime's blocked-layout (NCHWc) convolution and the reorders around it, in its internal
// `com.microsoft.nchwc` domain (contrib_ops/cpu/nchwc_ops.cc). Channels are stored in blocks of
// the CPU's vector width (8 floats with AVX2, 16 with AVX-512): [N, C, H, W] holds C/b blocks of
// [H, W, b]. Its Conv reads its weight input on every run, so a trainable weight reordered in
// the graph by standard Reshape and Transpose nodes works. Only the CPU lowering emits these ops,
// after autodiff (compiler/lower/blocked-conv.ts), so none has a gradient rule.
import type { Shape, ValueInfo } from '../ir/graph.js';
import { NCHWC_DOMAIN, defineOp, fail } from './op.js';
import { nchw, slide, windowOf } from './windows.js';

const CPU_ONLY = 'an onnxruntime CPU-internal kernel (com.microsoft.nchwc)';
const AFTER_AUTODIFF = {
  unsupported: 'only the CPU lowering emits it, after the gradient has been built',
};

/** The blocked layout keeps the logical shape: channels are a whole number of blocks here. */
const sameShape = ([x]: ValueInfo[]) => [{ dtype: x.dtype, shape: x.shape }];

export const NchwcReorderInput = defineOp({
  name: 'NchwcReorderInput',
  doc: 'reorders an [N, C, H, W] tensor into the blocked layout (C a whole number of blocks)',
  domain: NCHWC_DOMAIN,
  writtenAs: 'ReorderInput',
  inputs: ['X'],
  outputs: ['Y'],
  attrs: { channels_last: 'int' },
  shape: sameShape,
  gradient: AFTER_AUTODIFF,
  since: 1,
  webgpu: CPU_ONLY,
  cuda: CPU_ONLY,
});

export const NchwcReorderOutput = defineOp({
  name: 'NchwcReorderOutput',
  doc: 'reorders a blocked tensor back into [N, channels, H, W]',
  domain: NCHWC_DOMAIN,
  writtenAs: 'ReorderOutput',
  inputs: ['X'],
  outputs: ['Y'],
  attrs: { channels: 'int', channels_last: 'int' },
  shape: ([x], attrs) => {
    const [n, c, h, w] = nchw('ReorderOutput', x);
    const channels = attrs.channels ?? c;
    if (channels > c) fail(`ReorderOutput: ${channels} channels from a tensor of ${c}`);
    return [{ dtype: x.dtype, shape: [n, channels, h, w] }];
  },
  gradient: AFTER_AUTODIFF,
  since: 1,
  webgpu: CPU_ONLY,
  cuda: CPU_ONLY,
});

export const NchwcConv = defineOp({
  name: 'NchwcConv',
  doc: 'Conv on blocked tensors, with the weight in the blocked filter layout',
  domain: NCHWC_DOMAIN,
  writtenAs: 'Conv',
  inputs: ['X', 'W', 'B?', 'Sum?'],
  outputs: ['Y'],
  attrs: {
    kernel_shape: 'ints',
    strides: 'ints',
    pads: 'ints',
    dilations: 'ints',
    group: 'int',
    activation: 'string',
    activation_params: 'floats',
  },
  shape: ([x, w], attrs) => {
    const [n, c, h, width] = nchw('NchwcConv', x);
    const [o, cg, kh, kw] = w.shape as number[];
    if (cg !== c) fail(`NchwcConv: weight expects ${cg} input channels, input has ${c}`);
    const [ho, wo] = slide('NchwcConv', h, width, windowOf(attrs, [kh, kw]));
    return [{ dtype: x.dtype, shape: [n, o, ho, wo] }];
  },
  gradient: AFTER_AUTODIFF,
  since: 1,
  webgpu: CPU_ONLY,
  cuda: CPU_ONLY,
});

/** The block sizes onnxruntime's NCHWc kernels use: 8 floats with AVX2, 16 with AVX-512. */
export const BLOCK_SIZES: readonly number[] = [8, 16];

/**
 * Whether a 2-D float32 Conv of `x` with weight `w` fits the blocked kernel of block size
 * `block` (0: never): one group, and input channels a whole number of blocks or fewer than a
 * block (the kernel then reads [N, C, H, W] as it is, with the weight in its [O/b, C, kh, kw, b]
 * layout). Output channels are padded to whole blocks with zero filters.
 */
export function blockedFits(block: number, x: ValueInfo, w: { shape: Shape }, group: number) {
  if (block === 0 || group !== 1 || x.dtype !== 'float32') return false;
  if (x.shape.length !== 4 || w.shape.length !== 4) return false;
  const c = w.shape[1] as number;
  return c % block === 0 || c < block;
}
