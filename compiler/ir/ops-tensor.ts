// Shape rules for the ops that move, cut, join and count elements: Transpose, Concat, Slice,
// Pad, Expand, and the integer ops (Size, Range, Mod, Less, BitShift, BitwiseXor) that dropout's counter-based
// random numbers are made of. ONNX takes slice bounds, pads and expand shapes as runtime
// inputs; the builder states them as attributes too (see TENSOR_BUILDER_ONLY_ATTRS), so the
// output shape is known when the node is emitted.
import type { AttrValue, DType, Shape, ValueInfo } from './graph.js';
import { broadcastShapes, ShapeError } from './ops.js';

type OutputType = { dtype: DType; shape: Shape };
type Attrs = Record<string, AttrValue>;
type ShapeRule = (inputs: ValueInfo[], attrs: Attrs) => OutputType[];

function fail(message: string): never {
  throw new ShapeError(message);
}

function ints(attrs: Attrs, name: string): number[] {
  const v = attrs[name];
  if (!Array.isArray(v)) fail(`the builder must state '${name}'`);
  return v;
}

function axisOf(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) fail(`axis ${axis} is out of range for rank ${rank}`);
  return a;
}

const transpose: ShapeRule = ([x], attrs) => {
  const perm = ints(attrs, 'perm');
  if ([...perm].sort().join() !== x.shape.map((_, i) => i).join())
    fail(`Transpose: perm [${perm.join(', ')}] is not a permutation of rank ${x.shape.length}`);
  return [{ dtype: x.dtype, shape: perm.map((p) => x.shape[p]) }];
};

const concat: ShapeRule = (inputs, attrs) => {
  const rank = inputs[0].shape.length;
  const axis = axisOf(typeof attrs['axis'] === 'number' ? attrs['axis'] : 0, rank);
  const shape = [...inputs[0].shape];
  for (const v of inputs.slice(1)) {
    if (v.shape.length !== rank) fail(`Concat: ranks differ (${rank} and ${v.shape.length})`);
    v.shape.forEach((d, i) => {
      if (i !== axis && d !== shape[i])
        fail(`Concat: dimension ${i} differs (${shape[i]} and ${d})`);
    });
  }
  const sizes = inputs.map((v) => v.shape[axis]);
  shape[axis] = sizes.includes('N') ? 'N' : sizes.reduce<number>((n, d) => n + (d as number), 0);
  return [{ dtype: inputs[0].dtype, shape }];
};

/** Slice with unit steps over static dimensions: starts/ends/axes as builder attributes. */
const slice: ShapeRule = ([x], attrs) => {
  const starts = ints(attrs, 'starts');
  const ends = ints(attrs, 'ends');
  const axes = ints(attrs, 'axes');
  const shape = [...x.shape];
  axes.forEach((axis, k) => {
    const a = axisOf(axis, shape.length);
    const size = shape[a];
    if (size === 'N') fail('Slice: cannot slice the batch dimension');
    const clamp = (i: number) => Math.min(Math.max(i < 0 ? i + size : i, 0), size);
    shape[a] = Math.max(clamp(ends[k]) - clamp(starts[k]), 0);
  });
  return [{ dtype: x.dtype, shape }];
};

/** Pad: `pads` (begin values then end values, one per axis) as a builder attribute. */
const pad: ShapeRule = ([x], attrs) => {
  const pads = ints(attrs, 'pads');
  const rank = x.shape.length;
  if (pads.length !== 2 * rank) fail(`Pad: ${pads.length} pads for rank ${rank}`);
  const shape = x.shape.map((d, i) => {
    if (pads[i] === 0 && pads[i + rank] === 0) return d;
    if (d === 'N') fail('Pad: cannot pad the batch dimension');
    return d + pads[i] + pads[i + rank];
  });
  return [{ dtype: x.dtype, shape }];
};

/** Expand broadcasts `x` to a shape given at runtime; the builder states it (-1 = batch). */
const expand: ShapeRule = ([x], attrs) => {
  const target: Shape = ints(attrs, 'shape').map((d) => (d === -1 ? 'N' : d));
  return [{ dtype: x.dtype, shape: broadcastShapes(target, x.shape) }];
};

/** Range over int64 scalars; the builder states the static length, or -1 for the batch. */
const range: ShapeRule = ([start], attrs) => {
  const length = typeof attrs['length'] === 'number' ? attrs['length'] : -1;
  return [{ dtype: start.dtype, shape: [length === -1 ? 'N' : length] }];
};

export const TENSOR_OPS: Record<string, ShapeRule> = {
  Transpose: transpose,
  Concat: concat,
  Slice: slice,
  Pad: pad,
  Expand: expand,
  Size: () => [{ dtype: 'int64', shape: [] }],
  Range: range,
  Mod: ([a, b]) => [{ dtype: a.dtype, shape: broadcastShapes(a.shape, b.shape) }],
  Less: ([a, b]) => [{ dtype: 'bool', shape: broadcastShapes(a.shape, b.shape) }],
  BitShift: ([a, b]) => [{ dtype: a.dtype, shape: broadcastShapes(a.shape, b.shape) }],
  BitwiseXor: ([a, b]) => [{ dtype: a.dtype, shape: broadcastShapes(a.shape, b.shape) }],
};

export const TENSOR_BUILDER_ONLY_ATTRS: Record<string, string[]> = {
  Slice: ['starts', 'ends', 'axes'],
  Pad: ['pads'],
  Expand: ['shape'],
  Range: ['length'],
};
