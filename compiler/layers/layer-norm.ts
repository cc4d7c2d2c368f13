// Layer and group norm: statistics per example (over the normalized shape, or per group of
// channels), no running statistics, the same in training and evaluation.
import { formatShape } from '../ir/graph.js';
import { reshape } from '../ir/ops-helpers.js';
import { onnx } from '../ops/index.js';
import type { BoundArgs } from '../vocabulary/args.js';
import { boolArg, numberArg } from '../vocabulary/args.js';
import { bool } from '../vocabulary/values.js';
import type { LayerDef } from '../vocabulary/defs.js';
import {
  channelAffine,
  channelParams,
  checkChannels,
  EPS,
  ones,
  standardize,
  zeros,
} from './norm-common.js';

/** torch accepts one size or a list of trailing sizes. */
function normalizedShape(args: BoundArgs): number[] | undefined {
  const v = args.values.get('normalized_shape');
  if (v?.t === 'num' && v.int) return [v.v];
  if (v?.t === 'list' && v.items.every((i) => i.t === 'num' && i.int && i.v >= 1))
    return v.items.map((i) => (i as { v: number }).v);
  return undefined;
}

export const LayerNorm: LayerDef = {
  name: 'LayerNorm',
  doc: 'Normalizes each example over its trailing normalized_shape dimensions (torch.nn.LayerNorm).',
  args: [
    {
      name: 'normalized_shape',
      type: 'any',
      doc: 'the trailing dimensions to normalize: a size or a list of sizes',
    },
    EPS,
    {
      name: 'elementwise_affine',
      type: 'bool',
      default: bool(true),
      doc: 'learn an elementwise scale and shift',
    },
  ],
  infer([input], args) {
    const shape = normalizedShape(args);
    if (!shape)
      return {
        error: 'LayerNorm: normalized_shape must be a positive integer or a list of them',
        arg: 'normalized_shape',
      };
    const trailing = input.slice(1).slice(-shape.length);
    if (shape.length >= input.length || trailing.join() !== shape.join())
      return {
        error: `LayerNorm: normalized_shape ${formatShape(shape)} must match the input's trailing dimensions, but the input is ${formatShape(input)}`,
        arg: 'normalized_shape',
      };
    return { shape: input };
  },
  params(_inputs, args) {
    const shape = normalizedShape(args)!;
    if (!boolArg(args, 'elementwise_affine')) return [];
    return [
      { name: 'weight', shape, init: ones },
      { name: 'bias', shape, init: zeros },
    ];
  },
  lower(b, [x], params, args) {
    const rank = b.info(x).shape.length;
    const count = normalizedShape(args)!.length;
    const axes = Array.from({ length: count }, (_, i) => rank - count + i);
    const { y } = standardize(b, x, axes, numberArg(args, 'eps'));
    if (!params.weight) return y;
    return b.op(onnx.Add, [b.op(onnx.Mul, [y, params.weight]), params.bias]);
  },
};

export const GroupNorm: LayerDef = {
  name: 'GroupNorm',
  doc: 'Normalizes each example over groups of num_channels/num_groups channels (torch.nn.GroupNorm).',
  args: [
    {
      name: 'num_groups',
      type: 'int',
      doc: 'the number of groups the channels are split into',
      min: 1,
    },
    { name: 'num_channels', type: 'int', doc: 'the number of channels C', min: 1 },
    EPS,
    {
      name: 'affine',
      type: 'bool',
      default: bool(true),
      doc: 'learn a per-channel scale and shift',
    },
  ],
  infer([input], args) {
    const forms = { 2: '[N, C]', 3: '[N, C, L]', 4: '[N, C, H, W]', 5: '[N, C, D, H, W]' };
    const problem = checkChannels('GroupNorm', 'num_channels', input, args, forms);
    if (problem) return problem;
    const groups = numberArg(args, 'num_groups');
    const channels = numberArg(args, 'num_channels');
    if (channels % groups !== 0)
      return {
        error: `GroupNorm: num_channels ${channels} is not divisible by num_groups ${groups}`,
        arg: 'num_groups',
      };
    return { shape: input };
  },
  params: (_inputs, args) =>
    channelParams(numberArg(args, 'num_channels'), boolArg(args, 'affine'), false),
  lower(b, [x], params, args) {
    // [N, C, *] → [N, G, C/G·*]: each group is one row to standardize.
    const shape = b.info(x).shape;
    const groups = numberArg(args, 'num_groups');
    const perGroup = (shape.slice(1) as number[]).reduce((n, d) => n * d, 1) / groups;
    const grouped = reshape(b, x, ['N', groups, perGroup]);
    const { y } = standardize(b, grouped, [2], numberArg(args, 'eps'));
    return channelAffine(b, reshape(b, y, shape), params, shape.length);
  },
};
