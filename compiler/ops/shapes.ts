// Helpers the shape rules share: broadcasting, axes, and the known values of shape-like inputs.
import type { Shape, ValueInfo } from '../ir/graph.js';
import type { OutputType } from './op.js';
import { fail } from './op.js';

/** Numpy-style broadcasting of two shapes; the symbolic batch only broadcasts with 1 or itself. */
export function broadcastShapes(a: Shape, b: Shape): Shape {
  const rank = Math.max(a.length, b.length);
  const out: Shape = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da === db || db === 1) out.push(da);
    else if (da === 1) out.push(db);
    else fail(`shapes [${a.join(', ')}] and [${b.join(', ')}] do not broadcast`);
  }
  return out;
}

export function normalizeAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) fail(`axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** The output keeps the (first) input's type and shape. */
export const sameType = ([x]: ValueInfo[]): OutputType[] => [{ dtype: x.dtype, shape: x.shape }];

/** Elementwise over broadcast inputs, typed like the first. */
export const broadcastType = (inputs: ValueInfo[]): OutputType[] => [
  { dtype: inputs[0].dtype, shape: inputs.map((v) => v.shape).reduce(broadcastShapes) },
];

/** A comparison: bool, over broadcast inputs. */
export const comparisonType = (inputs: ValueInfo[]): OutputType[] => [
  { dtype: 'bool', shape: inputs.map((v) => v.shape).reduce(broadcastShapes) },
];

/**
 * The content of an input ONNX takes as a tensor (a shape, axes, bounds, pads), which netspec
 * always feeds from a Constant or a Shape, so it is known while the graph is built.
 */
export function knownInts(
  input: ValueInfo | undefined,
  op: string,
  what: string,
): (number | 'N')[] {
  if (!input?.value) fail(`${op}: its ${what} must be a constant or a Shape`);
  return [...input.value];
}

/** A known input whose entries are all numbers (axes, pads, bounds). */
export function knownNumbers(input: ValueInfo | undefined, op: string, what: string): number[] {
  const values = knownInts(input, op, what);
  if (values.some((v) => v === 'N')) fail(`${op}: its ${what} must be static`);
  return values as number[];
}

/** A shape as Reshape and Expand take it: -1 (or the batch, from a Shape) is the batch. */
export function targetShape(input: ValueInfo | undefined, op: string): Shape {
  return knownInts(input, op, 'target shape').map((d) => (d === -1 ? 'N' : d));
}
