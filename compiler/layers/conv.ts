// torch.nn.Conv2d, lowered to one ONNX Conv, and the window arithmetic that the pooling layers
// share with it. Sizes follow PyTorch: out = ⌊(in + 2·pad − dilation·(k − 1) − 1) / stride⌋ + 1.
import type { Shape } from '../ir/graph.js';
import { formatShape } from '../ir/graph.js';
import { croppedKernel } from './conv-crop.js';
import { denseConv } from './conv-dense.js';
import { onnx } from '../ops/index.js';
import type { BoundArgs } from '../vocabulary/args.js';
import { boolArg, numberArg, pairArg, sizeArg } from '../vocabulary/args.js';
import { AUTO, bool, int } from '../vocabulary/values.js';
import type { LayerDef, ShapeResult } from '../vocabulary/defs.js';

export type Pair = [number, number];

/** An [N, C, H, W] input, or the message explaining why `input` is not one. */
export function imageInput(layer: string, input: Shape): { c: number; hw: Pair } | string {
  const [, c, h, w] = input;
  if (input.length !== 4 || typeof c !== 'number' || typeof h !== 'number' || typeof w !== 'number')
    return `${layer} expects a [N, C, H, W] input, found ${formatShape(input)}`;
  return { c, hw: [h, w] };
}

/** ONNX pads [top, left, bottom, right] from PyTorch's `padding` (an int, a pair, 'same', 'valid'). */
export function paddingOf(args: BoundArgs, kernel: Pair, dilation: Pair): number[] | string {
  const v = args.values.get('padding');
  if (v?.t === 'str' && v.v === 'valid') return [0, 0, 0, 0];
  if (v?.t === 'str' && v.v === 'same') {
    // PyTorch puts the odd pixel of an even kernel's padding at the end.
    const total = kernel.map((k, i) => dilation[i] * (k - 1));
    const begin = total.map((t) => Math.floor(t / 2));
    return [...begin, total[0] - begin[0], total[1] - begin[1]];
  }
  const ok = (x: { t: string; v?: unknown; int?: boolean }) =>
    x.t === 'num' && x.int === true && (x.v as number) >= 0;
  if (v && (ok(v) || (v.t === 'list' && v.items.length === 2 && v.items.every(ok)))) {
    const [ph, pw] = pairArg(args, 'padding');
    return [ph, pw, ph, pw];
  }
  return `padding must be a non-negative integer, a list of two, "same" or "valid"`;
}

/** PyTorch's output length of a window sliding along one axis (ceil_mode as in pooling). */
export function outputLength(
  size: number,
  kernel: number,
  stride: number,
  padBegin: number,
  padEnd: number,
  dilation = 1,
  ceil = false,
): number {
  const span = size + padBegin + padEnd - dilation * (kernel - 1) - 1;
  let out = (ceil ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
  // PyTorch: the last window must start inside the input or its left padding.
  if (ceil && (out - 1) * stride >= size + padBegin) out--;
  return out;
}

/** "a 3×3 kernel (dilated to 5×5) is larger than the padded input 4×4" — or undefined. */
export function windowProblem(
  layer: string,
  hw: Pair,
  kernel: Pair,
  pads: number[],
  dilation: Pair = [1, 1],
): string | undefined {
  const padded = hw.map((d, i) => d + pads[i] + pads[i + 2]);
  const extent = kernel.map((k, i) => dilation[i] * (k - 1) + 1);
  if (extent.every((e, i) => e <= padded[i])) return undefined;
  const dilated = extent.some((e, i) => e !== kernel[i]) ? ` (dilated to ${extent.join('×')})` : '';
  return `${layer}: its ${kernel.join('×')} kernel${dilated} is larger than the padded input ${padded.join('×')}`;
}

interface ConvGeometry {
  inChannels: number;
  kernel: Pair;
  strides: Pair;
  pads: number[];
  dilations: Pair;
  groups: number;
}

function geometry(input: Shape, args: BoundArgs): ConvGeometry | { error: string; arg?: string } {
  const image = imageInput('Conv2d', input);
  if (typeof image === 'string') return { error: image };
  const kernel = pairArg(args, 'kernel_size');
  const dilations = pairArg(args, 'dilation');
  const strides = pairArg(args, 'stride');
  const pads = paddingOf(args, kernel, dilations);
  if (typeof pads === 'string') return { error: `Conv2d: ${pads}`, arg: 'padding' };
  if (args.values.get('padding')?.t === 'str' && strides.some((s) => s !== 1))
    return { error: "Conv2d: padding 'same' needs stride 1, as in PyTorch", arg: 'padding' };
  const groups = numberArg(args, 'groups');
  return { inChannels: image.c, kernel, strides, pads, dilations, groups };
}

function channelProblem(input: Shape, g: ConvGeometry, args: BoundArgs): ShapeResult | undefined {
  const declared = sizeArg(args, 'in_channels');
  if (declared !== undefined && declared !== g.inChannels) {
    const message = `Conv2d expects ${declared} input channels, but its input has ${g.inChannels} (shape ${formatShape(input)})`;
    return { error: message, arg: 'in_channels' };
  }
  const out = numberArg(args, 'out_channels');
  for (const [name, count] of [
    ['in_channels', g.inChannels],
    ['out_channels', out],
  ] as const) {
    if (count % g.groups !== 0) {
      const message = `Conv2d: ${name} (${count}) must be divisible by groups (${g.groups})`;
      return { error: message, arg: name === 'in_channels' ? 'groups' : name };
    }
  }
  return undefined;
}

/** torch.nn.Conv2d: a 2-D convolution (cross-correlation) over [N, C, H, W]. */
export const Conv2d: LayerDef = {
  name: 'Conv2d',
  doc: 'Applies a 2-D convolution over an [N, C, H, W] input (torch.nn.Conv2d).',
  args: [
    {
      name: 'in_channels',
      type: 'size',
      default: AUTO,
      doc: 'channels of the input; `auto` infers them',
      min: 1,
    },
    { name: 'out_channels', type: 'int', doc: 'channels produced by the convolution', min: 1 },
    { name: 'kernel_size', type: 'pair', doc: 'size of the kernel: k or [kh, kw]', min: 1 },
    { name: 'stride', type: 'pair', default: int(1), doc: 'stride: s or [sh, sw]', min: 1 },
    {
      name: 'padding',
      type: 'any',
      default: int(0),
      doc: 'zero padding on both sides: p, [ph, pw], "same" or "valid"',
    },
    { name: 'dilation', type: 'pair', default: int(1), doc: 'spacing of kernel taps', min: 1 },
    { name: 'groups', type: 'int', default: int(1), doc: 'blocked connections', min: 1 },
    { name: 'bias', type: 'bool', default: bool(true), doc: 'whether to learn an additive bias' },
  ],
  infer([input], args) {
    const g = geometry(input, args);
    if ('error' in g) return g;
    const problem = channelProblem(input, g, args);
    if (problem) return problem;
    const [h, w] = input.slice(2) as Pair;
    const tooBig = windowProblem('Conv2d', [h, w], g.kernel, g.pads, g.dilations);
    if (tooBig) return { error: tooBig, arg: 'kernel_size' };
    const out = [h, w].map((size, i) =>
      outputLength(size, g.kernel[i], g.strides[i], g.pads[i], g.pads[i + 2], g.dilations[i]),
    );
    return { shape: [input[0], numberArg(args, 'out_channels'), ...out] };
  },
  params([input], args) {
    const g = geometry(input, args) as ConvGeometry;
    const out = numberArg(args, 'out_channels');
    const perGroup = g.inChannels / g.groups;
    // PyTorch: kaiming_uniform(a=√5) for W and U(±1/√fan_in) for b: both U(±1/√fan_in).
    const init = {
      kind: 'uniform',
      bound: 1 / Math.sqrt(perGroup * g.kernel[0] * g.kernel[1]),
    } as const;
    const weight = { name: 'weight', shape: [out, perGroup, ...g.kernel], init };
    return boolArg(args, 'bias') ? [weight, { name: 'bias', shape: [out], init }] : [weight];
  },
  lower(b, [x], params, args, ctx) {
    const g = geometry(b.info(x).shape, args) as ConvGeometry;
    const hw = b.info(x).shape.slice(2) as number[];
    const out = hw.map((size, i) =>
      outputLength(size, g.kernel[i], g.strides[i], g.pads[i], g.pads[i + 2], g.dilations[i]),
    );
    const full = { kernel: g.kernel, strides: g.strides, pads: g.pads, dilations: g.dilations };
    const dense = ctx.internal && denseConv(b, x, params.weight, params.bias, full, out, g.groups);
    if (dense) return dense;
    const { weight, window } = croppedKernel(b, params.weight, full, hw, out) ?? {
      weight: params.weight,
      window: full,
    };
    const inputs = params.bias ? [x, weight, params.bias] : [x, weight];
    return b.op(onnx.Conv, inputs, {
      kernel_shape: window.kernel,
      strides: window.strides,
      pads: window.pads,
      dilations: window.dilations,
      group: g.groups,
    });
  },
};
