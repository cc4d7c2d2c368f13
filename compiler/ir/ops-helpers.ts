// Emitters for ops whose ONNX form takes constants as inputs (axes, bounds, pads, shapes): each
// feeds them from a Constant, whose value the builder knows, so the output shape is static.
// Used by layer lowerings and gradient rules alike.
import type { GraphBuilder } from './builder.js';
import type { Shape } from './graph.js';
import { onnx } from '../ops/index.js';

/** A static shape with the batch as -1, the form Reshape and Expand take. */
export function shapeArg(shape: Shape): number[] {
  return shape.map((d) => (d === 'N' ? -1 : d));
}

export function reduceMean(b: GraphBuilder, x: string, axes: number[], keepdims = true): string {
  return b.op(onnx.ReduceMean, [x, b.int64s(axes)], { keepdims: keepdims ? 1 : 0 });
}

export function reshape(b: GraphBuilder, x: string, shape: Shape): string {
  return b.op(onnx.Reshape, [x, b.int64s(shapeArg(shape))]);
}

/** Broadcasts `x` to the runtime shape of `like` (whose static shape it takes). */
export function expandLike(b: GraphBuilder, x: string, like: string): string {
  return b.op(onnx.Expand, [x, b.op(onnx.Shape, [like])]);
}

/** x[starts:ends] along `axes`, unit steps. */
export function slice(
  b: GraphBuilder,
  x: string,
  starts: number[],
  ends: number[],
  axes: number[],
): string {
  return b.op(onnx.Slice, [x, b.int64s(starts), b.int64s(ends), b.int64s(axes)]);
}

/** Zero padding: `pads` holds every axis's begin amount, then every axis's end amount. */
export function pad(b: GraphBuilder, x: string, pads: number[]): string {
  return b.op(onnx.Pad, [x, b.int64s(pads)]);
}

/**
 * The number of elements of `x` as a float scalar, computed at runtime (batch included): by
 * `Size`, or on a target without its kernel by counting the batch on the device.
 */
export function sizeOf(b: GraphBuilder, x: string): string {
  if (b.runs(onnx.Size, [x])) return b.op(onnx.Cast, [b.op(onnx.Size, [x])], { to: b.floatType });
  const [first, ...rest] = b.info(x).shape;
  const perExample = rest.reduce<number>((n, d) => n * (d as number), 1);
  if (first !== 'N') return b.scalar(perExample * (first ?? 1));
  const count = batchCount(b, x);
  return perExample === 1 ? count : b.op(onnx.Mul, [count, b.scalar(perExample)]);
}

/**
 * The batch size of `x` (its first dimension) as a float scalar, computed on the device: ones
 * expanded to the batch's length and summed. The Shape feeds Expand's shape input, which every
 * target reads as a shape, so no int64 is computed with.
 */
export function batchCount(b: GraphBuilder, x: string): string {
  const batch = b.op(onnx.Shape, [x], { start: 0, end: 1 });
  const ones = b.op(onnx.Expand, [b.floats([1], () => 1), batch]);
  return b.reduceSum(ones, [0], false);
}
