// What the importer knows at import time about tensors that are not activations: constants
// (initializers and Constant nodes) and the small shape computations exporters emit around a
// Reshape. `x.reshape(x.size(0), -1)` with a dynamic batch becomes
// Shape → Gather(0) → Unsqueeze → Concat([·, -1]) → Reshape; evaluated here with the batch size
// as the symbol 'N', it is the constant target [N, -1], which the importer turns into Flatten.
import type { OnnxAttr, OnnxModel, OnnxNode } from '../onnx/read.js';

/** A constant tensor: float data, or int64 data as numbers. */
export interface Constant {
  dims: number[];
  data: Float32Array | number[];
}

/**
 * A small integer list computed from shapes, 'N' standing for the batch size. Scalars and
 * 1-element lists are not told apart (a Constant node's tensor arrives without its dims), which
 * is enough for Gather → Unsqueeze → Concat chains.
 */
type Known =
  { t: 'const'; value: Constant } | { t: 'shape' } | { t: 'dims'; items: (number | 'N')[] };

/** Ops evaluated at import time when their inputs are known (they never become layers). */
const SHAPE_OPS = new Set([
  'Constant',
  'Shape',
  'Gather',
  'Unsqueeze',
  'Concat',
  'Transpose',
  'Identity',
]);

export class KnownValues {
  private known = new Map<string, Known>();

  constructor(private model: OnnxModel) {
    for (const [name, t] of model.initializers) {
      if (t.dtype !== 'other') this.known.set(name, { t: 'const', value: t });
    }
  }

  /** A constant input (an initializer, a Constant node's output or a folded one). */
  constant(name: string | undefined): Constant | undefined {
    const k = name ? this.known.get(name) : undefined;
    return k?.t === 'const' ? k.value : undefined;
  }

  /** A 1-D integer list (a Reshape target), with 'N' for the batch size where it came from one. */
  dims(name: string | undefined): (number | 'N')[] | undefined {
    const k = name ? this.known.get(name) : undefined;
    if (k?.t === 'dims') return k.items;
    if (k?.t === 'const' && k.value.dims.length === 1) return Array.from(k.value.data, Number);
    return undefined;
  }

  has(name: string): boolean {
    return this.known.has(name);
  }

  /**
   * Evaluates a shape or constant op whose inputs are known; true when handled. Concat and
   * Gather of activations are not for this (they return false and stay layers or errors).
   */
  evaluate(node: OnnxNode): boolean | 'unsupported' {
    if (!SHAPE_OPS.has(node.op)) return false;
    const inputs = node.inputs.filter((i) => i !== '');
    if (node.op === 'Constant') return this.define(node, constantNode(node.attrs));
    if (node.op === 'Shape') return this.define(node, { t: 'shape' });
    if (!inputs.every((i) => this.known.has(i))) {
      // Concat, Transpose and Identity of activations are other things; Gather/Unsqueeze of one
      // is not supported.
      return ['Concat', 'Transpose', 'Identity'].includes(node.op) ? false : 'unsupported';
    }
    const known = inputs.map((i) => this.known.get(i)!);
    switch (node.op) {
      case 'Gather':
        return this.define(node, gather(known[0], known[1], node.attrs.axis));
      case 'Unsqueeze': {
        const axes =
          node.attrs.axes ??
          (known[1]?.t === 'const' ? Array.from(known[1].value.data, Number) : undefined);
        return this.define(node, unsqueeze(known[0], axes));
      }
      case 'Concat':
        return this.define(node, concat(known));
      case 'Transpose':
        return this.define(node, transpose(known[0], node.attrs.perm));
      case 'Identity': // exporters alias equal constants (a folded network's zero biases) so
        return this.define(node, known[0]);
    }
    return false;
  }

  private define(node: OnnxNode, value: Known | undefined): boolean | 'unsupported' {
    if (!value) return 'unsupported';
    this.known.set(node.outputs[0], value);
    return true;
  }
}

function constantNode(attrs: Record<string, OnnxAttr>): Known | undefined {
  const { value } = attrs;
  if (value instanceof Float32Array)
    return { t: 'const', value: { dims: [value.length], data: value } };
  if (typeof attrs.value_float === 'number')
    return { t: 'const', value: { dims: [], data: Float32Array.of(attrs.value_float) } };
  if (typeof attrs.value_int === 'number')
    return { t: 'const', value: { dims: [], data: [attrs.value_int] } };
  if (Array.isArray(attrs.value_ints))
    return { t: 'const', value: { dims: [attrs.value_ints.length], data: attrs.value_ints } };
  return undefined;
}

const scalarOf = (k: Known): number | undefined =>
  k.t === 'const' && k.value.data.length === 1 ? Number(k.value.data[0]) : undefined;

/** Shape(x)[0] is the batch size; other dimensions are not known before shapes are inferred. */
function gather(data: Known, index: Known, axis: OnnxAttr | undefined): Known | undefined {
  const i = scalarOf(index);
  if (data.t !== 'shape' || i !== 0 || (axis !== undefined && axis !== 0)) return undefined;
  return { t: 'dims', items: ['N'] };
}

/** Unsqueeze(axes [0]) of a scalar or a 1-element list: the same one-element list. */
function unsqueeze(data: Known, axes: OnnxAttr | undefined): Known | undefined {
  const zero = Array.isArray(axes) && axes.length === 1 && axes[0] === 0;
  if (!zero) return undefined;
  if (data.t === 'dims' && data.items.length === 1) return data;
  if (data.t === 'const' && data.value.data.length === 1)
    return { t: 'const', value: { dims: [1], data: data.value.data } };
  return undefined;
}

function concat(parts: Known[]): Known | undefined {
  const items: (number | 'N')[] = [];
  for (const p of parts) {
    if (p.t === 'dims') items.push(...p.items);
    else if (p.t === 'const' && p.value.dims.length <= 1)
      items.push(...Array.from(p.value.data, Number));
    else return undefined;
  }
  return { t: 'dims', items };
}

/** A 2-D constant transposed (a weight written as `x @ W.t()` and exported unfolded). */
function transpose(data: Known, perm: OnnxAttr | undefined): Known | undefined {
  if (data.t !== 'const' || data.value.dims.length !== 2) return undefined;
  if (Array.isArray(perm) && !(perm[0] === 1 && perm[1] === 0)) return undefined;
  const [rows, cols] = data.value.dims;
  return {
    t: 'const',
    value: { dims: [cols, rows], data: transposed(data.value.data, rows, cols) },
  };
}

export function transposed(
  data: Float32Array | number[],
  rows: number,
  cols: number,
): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) out[c * rows + r] = Number(data[r * cols + c]);
  return out;
}
