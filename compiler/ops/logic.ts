// Comparisons, selection, type casts and the integer ops that dropout's counter-based hash is
// made of (a 32-bit multiply, xor and shift per element).
import type { DType } from '../ir/graph.js';
import type { Gradients } from './op.js';
import { defineOp, fail, NO_CUDA_KERNEL, NO_WEBGPU_KERNEL } from './op.js';
import { broadcastShapes, broadcastType, comparisonType } from './shapes.js';
import { onnx } from './index.js';

const INTEGER_HASH = 'integer arithmetic of dropout’s mask: no gradient flows through it';

export const Equal = defineOp({
  name: 'Equal',
  doc: 'a = b, as bool',
  inputs: ['A', 'B'],
  outputs: ['C'],
  attrs: {},
  shape: comparisonType,
  gradient: { none: 'a comparison: its output is bool' },
  since: 11,
  webgpu: true,
  cuda: true,
});

export const Greater = defineOp({
  name: 'Greater',
  doc: 'a > b, as bool',
  inputs: ['A', 'B'],
  outputs: ['C'],
  attrs: {},
  shape: comparisonType,
  gradient: { none: 'a comparison: its output is bool' },
  since: 9,
  webgpu: true,
  cuda: true,
});

export const Less = defineOp({
  name: 'Less',
  doc: 'a < b, as bool',
  inputs: ['A', 'B'],
  outputs: ['C'],
  attrs: {},
  shape: comparisonType,
  gradient: { none: 'a comparison: its output is bool' },
  since: 9,
  webgpu: true,
  cuda: true,
});

export const Where = defineOp({
  name: 'Where',
  doc: 'x where the condition holds, else y',
  inputs: ['condition', 'X', 'Y'],
  outputs: ['output'],
  attrs: {},
  shape: ([cond, x, y]) => [
    { dtype: x.dtype, shape: broadcastShapes(cond.shape, broadcastShapes(x.shape, y.shape)) },
  ],
  /** The chosen branch gets the gradient, the other zero; the condition none. */
  gradient: (b, node, [dY], needed): Gradients => {
    const [cond] = node.inputs;
    const zero = b.scalar(0);
    return [
      undefined,
      needed[1] ? b.op(onnx.Where, [cond, dY!, zero]) : undefined,
      needed[2] ? b.op(onnx.Where, [cond, zero, dY!]) : undefined,
    ];
  },
  since: 9,
  webgpu: true,
  cuda: true,
});

export const Cast = defineOp({
  name: 'Cast',
  doc: 'the input converted to another element type',
  inputs: ['input'],
  outputs: ['output'],
  attrs: { to: 'dtype' },
  shape: ([x], attrs) => {
    const to: DType | undefined = attrs.to;
    if (!to) fail('Cast needs a target type');
    return [{ dtype: to, shape: x.shape }];
  },
  gradient: { none: 'netspec casts masks, counts and indices, never differentiated values' },
  since: 6,
  webgpu: (node) => (node.attrs.to === 'int64' ? 'WebGPU computes no int64 (Cast to int64)' : true),
  cuda: true,
});

export const Mod = defineOp({
  name: 'Mod',
  doc: 'the integer remainder (the step counter to 32 bits)',
  inputs: ['A', 'B'],
  outputs: ['C'],
  attrs: {},
  shape: broadcastType,
  gradient: { none: INTEGER_HASH },
  since: 10,
  webgpu: NO_WEBGPU_KERNEL,
  cuda: true,
});

export const BitShift = defineOp({
  name: 'BitShift',
  doc: 'a shifted by b bits',
  inputs: ['X', 'Y'],
  outputs: ['Z'],
  attrs: { direction: 'string' },
  shape: broadcastType,
  gradient: { none: INTEGER_HASH },
  since: 11,
  webgpu: NO_WEBGPU_KERNEL,
  cuda: NO_CUDA_KERNEL,
});

export const BitwiseXor = defineOp({
  name: 'BitwiseXor',
  doc: 'a xor b, bit by bit',
  inputs: ['A', 'B'],
  outputs: ['C'],
  attrs: {},
  shape: broadcastType,
  gradient: { none: INTEGER_HASH },
  since: 18,
  webgpu: NO_WEBGPU_KERNEL,
  cuda: NO_CUDA_KERNEL,
});
