// Ops that make values rather than transform them: constants, shapes, sizes and ranges.
// Constants and Shapes of small integer tensors carry their content (`value`) so that ops
// reading shapes, axes and bounds from them have static output shapes.
import type { ValueInfo } from '../ir/graph.js';
import { isTensor } from '../ir/graph.js';
import type { OutputType } from './op.js';
import { defineOp, fail, NO_WEBGPU_KERNEL } from './op.js';
import { targetShape } from './shapes.js';

/** Integer constants up to this many elements carry their value (shapes, axes, pads, bounds). */
const KNOWN_ELEMENTS = 64;

const SHAPES_ONLY = 'its output is a shape, a size or a constant';

export const Constant = defineOp({
  name: 'Constant',
  doc: 'the tensor in its value attribute',
  inputs: [],
  outputs: ['output'],
  attrs: { value: 'tensor' },
  shape: (_inputs, attrs): OutputType[] => {
    const value = attrs.value;
    if (!value || !isTensor(value)) fail('Constant needs a tensor value');
    const integer = value.dtype === 'int64' || value.dtype === 'int32';
    const known = integer && value.dims.length <= 1 && value.data.length <= KNOWN_ELEMENTS;
    const type = { dtype: value.dtype, shape: value.dims };
    const data = value.data as BigInt64Array | Int32Array;
    return [known ? { ...type, value: Array.from(data, Number) } : type];
  },
  gradient: { none: SHAPES_ONLY },
  since: 11,
  webgpu: true,
  cuda: true,
});

export const ConstantOfShape = defineOp({
  name: 'ConstantOfShape',
  doc: 'a tensor of the shape given as an input, filled with one value',
  inputs: ['input'],
  indexInputs: ['input'],
  outputs: ['output'],
  attrs: { value: 'tensor' },
  shape: ([shape], attrs) => {
    const dtype = attrs.value?.dtype ?? 'float32';
    return [{ dtype, shape: targetShape(shape, 'ConstantOfShape') }];
  },
  gradient: { none: SHAPES_ONLY },
  since: 9,
  webgpu: NO_WEBGPU_KERNEL,
  cuda: true,
});

export const Shape = defineOp({
  name: 'Shape',
  doc: 'the input’s shape (or its dimensions start…end − 1), as int64',
  inputs: ['data'],
  outputs: ['shape'],
  attrs: { start: 'int', end: 'int' },
  shape: ([x]: ValueInfo[], attrs): OutputType[] => {
    const rank = x.shape.length;
    const clamp = (i: number) => Math.min(Math.max(i < 0 ? i + rank : i, 0), rank);
    const dims = x.shape.slice(clamp(attrs.start ?? 0), clamp(attrs.end ?? rank));
    return [{ dtype: 'int64', shape: [dims.length], value: dims }];
  },
  gradient: { none: SHAPES_ONLY },
  since: 1,
  attrSince: (attrs) =>
    attrs.start !== undefined || attrs.end !== undefined ? ['start and end', 15] : undefined,
  webgpu: true,
  cuda: true,
});

export const Size = defineOp({
  name: 'Size',
  doc: 'the input’s number of elements, as an int64 scalar',
  inputs: ['data'],
  outputs: ['size'],
  attrs: {},
  shape: () => [{ dtype: 'int64', shape: [] }],
  gradient: { none: SHAPES_ONLY },
  since: 1,
  webgpu: NO_WEBGPU_KERNEL,
  cuda: true,
});

export const Range = defineOp({
  name: 'Range',
  doc: 'start, start + delta, … below limit',
  inputs: ['start', 'limit', 'delta'],
  outputs: ['output'],
  attrs: {},
  /** Its length is static when the bounds are known constants; otherwise it is dynamic ('N'). */
  shape: ([start, limit, delta]) => {
    const known = [start, limit, delta].map((v) => v.value?.[0]);
    const [s, l, d] = known;
    if ([s, l, d].some((v) => typeof v !== 'number') || d === 0)
      return [{ dtype: start.dtype, shape: ['N'] }];
    const count = Math.ceil(((l as number) - (s as number)) / (d as number));
    return [{ dtype: start.dtype, shape: [Math.max(count, 0)] }];
  },
  gradient: { none: SHAPES_ONLY },
  since: 11,
  webgpu: (node, typeOf) =>
    ['float32', 'int32'].includes(typeOf(node.inputs[0]).dtype)
      ? true
      : 'onnxruntime 1.30’s WebGPU Range takes float32 and int32 only',
  cuda: true,
});
