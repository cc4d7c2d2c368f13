// What the normalization layers share: their `eps` and `momentum` arguments, standardizing over
// some axes, the per-channel affine transform and its parameters, the channel-count check.
import type { GraphBuilder } from '../ir/builder.js';
import type { Shape } from '../ir/graph.js';
import { formatShape } from '../ir/graph.js';
import { reduceMean, reshape } from '../ir/ops-helpers.js';
import { onnx } from '../ops/index.js';
import type { BoundArgs } from '../vocabulary/args.js';
import { numberArg } from '../vocabulary/args.js';
import { num } from '../vocabulary/values.js';
import type { ParamSpec, ShapeResult } from '../vocabulary/defs.js';

export const ones = { kind: 'constant', value: 1 } as const;

export const zeros = { kind: 'constant', value: 0 } as const;

export const EPS = {
  name: 'eps',
  type: 'number',
  default: num(1e-5),
  doc: 'added to the variance',
  above: 0,
} as const;

export const MOMENTUM = {
  name: 'momentum',
  type: 'number',
  default: num(0.1),
  doc: 'weight of the batch in the running statistics',
  min: 0,
  max: 1,
} as const;

/** (x − mean)/√(var + eps) over `axes`, with the biased variance; returns the statistics too. */
export function standardize(b: GraphBuilder, x: string, axes: number[], eps: number) {
  const mean = reduceMean(b, x, axes);
  const centered = b.op(onnx.Sub, [x, mean]);
  const variance = reduceMean(b, b.op(onnx.Mul, [centered, centered]), axes);
  const std = b.op(onnx.Sqrt, [b.op(onnx.Add, [variance, b.scalar(eps)])]);
  return { y: b.op(onnx.Div, [centered, std]), mean, variance };
}

/** y·γ + β with per-channel γ, β ([C]) broadcast along axis 1 of a rank-`rank` value. */
export function channelAffine(
  b: GraphBuilder,
  y: string,
  params: Record<string, string>,
  rank: number,
) {
  if (!params.weight) return y;
  const c = b.info(params.weight).shape[0];
  const dims: Shape = [1, c, ...new Array<number>(rank - 2).fill(1)];
  const scaled = b.op(onnx.Mul, [y, reshape(b, params.weight, dims)]);
  return b.op(onnx.Add, [scaled, reshape(b, params.bias, dims)]);
}

export function channelParams(channels: number, affine: boolean, track: boolean): ParamSpec[] {
  const specs: ParamSpec[] = [];
  if (affine)
    specs.push(
      { name: 'weight', shape: [channels], init: ones },
      { name: 'bias', shape: [channels], init: zeros },
    );
  if (track) {
    specs.push(
      { name: 'running_mean', shape: [channels], init: zeros, kind: 'buffer' },
      { name: 'running_var', shape: [channels], init: ones, kind: 'buffer' },
      { name: 'num_batches_tracked', shape: [], init: zeros, kind: 'buffer' },
    );
  }
  return specs;
}

/** The rank and channel-count check shared by batch, instance and group norm. */
export function checkChannels(
  name: string,
  argName: string,
  input: Shape,
  args: BoundArgs,
  forms: Record<number, string>,
): ShapeResult | undefined {
  if (!forms[input.length]) {
    const expected = Object.values(forms).join(' or ');
    return { error: `${name} expects a ${expected} input, found ${formatShape(input)}` };
  }
  const declared = numberArg(args, argName);
  if (input[1] !== declared)
    return {
      error: `${name}(${argName}=${declared}) expects ${declared} channels, but its input has ${input[1]} (shape ${formatShape(input)})`,
      arg: argName,
    };
  return undefined;
}
