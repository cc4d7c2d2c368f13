// Emitters for ops whose ONNX form takes constants as inputs (axes, bounds, pads, shapes):
// each states them once, as the runtime input and as the builder attribute the shape rule
// reads. Used by layer lowerings and gradient rules alike.
import type { GraphBuilder } from './builder.js';
import type { Shape } from './graph.js';

/** A static shape with the batch as -1, the form Reshape and Expand take. */
export function shapeArg(shape: Shape): number[] {
  return shape.map((d) => (d === 'N' ? -1 : d));
}

export function reduceMean(b: GraphBuilder, x: string, axes: number[], keepdims = true): string {
  return b.op('ReduceMean', [x, b.int64s(axes)], { axes, keepdims: keepdims ? 1 : 0 });
}

export function reshape(b: GraphBuilder, x: string, shape: Shape): string {
  const dims = shapeArg(shape);
  return b.op('Reshape', [x, b.int64s(dims)], { shape: dims });
}

/** Broadcasts `x` to the runtime shape of `like` (whose static shape it takes). */
export function expandLike(b: GraphBuilder, x: string, like: string): string {
  const shape = shapeArg(b.info(like).shape);
  return b.op('Expand', [x, b.op('Shape', [like])], { shape });
}

/** x[starts:ends] along `axes`, unit steps. */
export function slice(
  b: GraphBuilder,
  x: string,
  starts: number[],
  ends: number[],
  axes: number[],
): string {
  const inputs = [x, b.int64s(starts), b.int64s(ends), b.int64s(axes)];
  return b.op('Slice', inputs, { starts, ends, axes });
}

/** Zero padding: `pads` holds every axis's begin amount, then every axis's end amount. */
export function pad(b: GraphBuilder, x: string, pads: number[]): string {
  return b.op('Pad', [x, b.int64s(pads)], { pads });
}

/** The number of elements of `x` as a float scalar, computed at runtime (batch included). */
export function sizeOf(b: GraphBuilder, x: string): string {
  return b.op('Cast', [b.op('Size', [x])], { to: b.floatType });
}
