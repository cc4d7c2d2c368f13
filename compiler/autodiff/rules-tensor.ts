// Gradient rules for the ops that move elements: the gradient goes back to where each element
// came from (Transpose by the inverse permutation, Slice by zero padding, Pad and Concat by
// slicing, Expand by the driver's un-broadcasting). Dropout's integer hash ops have none.
import { pad, slice } from '../ir/ops-helpers.js';
import type { GradientRule } from './rules.js';

const NO_GRADIENT: GradientRule = (_b, node) => node.inputs.map(() => undefined);

function ints(value: unknown): number[] {
  if (!Array.isArray(value)) throw new Error('expected the builder-stated integer list');
  return value as number[];
}

const transpose: GradientRule = (b, node, [dY]) => {
  const perm = ints(node.attrs['perm']);
  const inverse = perm.map((_, i) => perm.indexOf(i));
  return [b.op('Transpose', [dY!], { perm: inverse })];
};

/** Each input gets its own stretch of the output gradient along the axis. */
const concat: GradientRule = (b, node, [dY], needed) => {
  const shape = b.info(node.outputs[0]).shape;
  const rank = shape.length;
  const raw = typeof node.attrs['axis'] === 'number' ? node.attrs['axis'] : 0;
  const axis = raw < 0 ? raw + rank : raw;
  let offset = 0;
  return node.inputs.map((input, k) => {
    const size = b.info(input).shape[axis];
    if (size === 'N') throw new Error('Concat along the batch has no gradient rule');
    const start = offset;
    offset += size;
    return needed[k] ? slice(b, dY!, [start], [start + size], [axis]) : undefined;
  });
};

/** Zero gradient where the slice did not look: pad it back to the input's shape. */
const sliceRule: GradientRule = (b, node, [dY]) => {
  const shape = b.info(node.inputs[0]).shape;
  const rank = shape.length;
  const pads = new Array<number>(2 * rank).fill(0);
  const starts = ints(node.attrs['starts']);
  const ends = ints(node.attrs['ends']);
  ints(node.attrs['axes']).forEach((raw, k) => {
    const axis = raw < 0 ? raw + rank : raw;
    const size = shape[axis] as number;
    const clamp = (i: number) => Math.min(Math.max(i < 0 ? i + size : i, 0), size);
    pads[axis] = clamp(starts[k]);
    pads[axis + rank] = size - Math.max(clamp(ends[k]), clamp(starts[k]));
  });
  return [pad(b, dY!, pads), ...node.inputs.slice(1).map(() => undefined)];
};

/** Constant padding: the input's gradient is the middle of the output's. */
const padRule: GradientRule = (b, node, [dY]) => {
  const mode = node.attrs['mode'] ?? 'constant';
  if (mode !== 'constant') throw new Error(`Pad mode '${String(mode)}' has no gradient rule`);
  const pads = ints(node.attrs['pads']);
  const shape = b.info(node.inputs[0]).shape;
  const rank = shape.length;
  const axes = shape.map((_, i) => i).filter((i) => pads[i] !== 0 || pads[i + rank] !== 0);
  const starts = axes.map((i) => pads[i]);
  const ends = axes.map((i) => pads[i] + (shape[i] as number));
  const dX = axes.length === 0 ? dY! : slice(b, dY!, starts, ends, axes);
  return [dX, ...node.inputs.slice(1).map(() => undefined)];
};

/** The driver sums the broadcast gradient back to the input's shape. */
const expand: GradientRule = (_b, _node, [dY]) => [dY, undefined];

export const TENSOR_RULES: Record<string, GradientRule> = {
  Transpose: transpose,
  Concat: concat,
  Slice: sliceRule,
  Pad: padRule,
  Expand: expand,
  Size: NO_GRADIENT,
  Range: NO_GRADIENT,
  Mod: NO_GRADIENT,
  Less: NO_GRADIENT,
};
