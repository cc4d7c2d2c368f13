// Elementwise activations and the softmax family. Each gradient is the derivative written with
// the node's own input x and output y; the backward driver un-broadcasts and accumulates.
import type { GraphBuilder } from '../ir/builder.js';
import type { ValueInfo } from '../ir/graph.js';
import { attrNumber, layerUse } from '../import/conversion.js';
import type { Downgrade, Gradients, OpNode, OutputType, WrittenNode } from './op.js';
import { defineOp, NO_WEBGPU_KERNEL, OpsetError } from './op.js';
import { normalizeAxis, sameType } from './shapes.js';
import { onnx } from './index.js';

const mul = (b: GraphBuilder, ...xs: string[]) => xs.reduce((p, x) => b.op(onnx.Mul, [p, x]));

/**
 * ONNX stores LeakyRelu's and Elu's α as a 32-bit float attribute, so even a float64 graph's
 * forward pass uses fround(α); the gradient must use the same α to be the forward's derivative.
 */
const storedAlpha = (alpha: number | undefined, fallback: number) => Math.fround(alpha ?? fallback);

export const Relu = defineOp({
  name: 'Relu',
  doc: 'max(x, 0)',
  inputs: ['X'],
  outputs: ['Y'],
  attrs: {},
  shape: sameType,
  /**
   * The gradient passes where the input was positive (0 at 0, as PyTorch does). The mask is cast
   * to a float and multiplied in: onnxruntime's `Where` with a broadcast scalar is a slower pass
   * than `Cast` and `Mul` together. It is read off the output (y > 0 exactly where x > 0), so the
   * input has no reader but the ReLU and onnxruntime can fuse a Conv before it into one node.
   */
  gradient: (b, node, [dY]): Gradients => {
    const positive = b.op(onnx.Cast, [b.op(onnx.Greater, [node.outputs[0], b.scalar(0)])], {
      to: b.floatType,
    });
    return [b.op(onnx.Mul, [dY!, positive])];
  },
  since: 6,
  webgpu: true,
  cuda: true,
  import: () => layerUse('ReLU'),
});

export const Sigmoid = defineOp({
  name: 'Sigmoid',
  doc: '1 / (1 + e⁻ˣ)',
  inputs: ['X'],
  outputs: ['Y'],
  attrs: {},
  shape: sameType,
  /** σ' = y·(1 − y). */
  gradient: (b, node, [dY]): Gradients => {
    const y = node.outputs[0];
    return [mul(b, dY!, y, b.op(onnx.Sub, [b.scalar(1), y]))];
  },
  since: 6,
  webgpu: true,
  cuda: true,
  import: () => layerUse('Sigmoid'),
});

export const Tanh = defineOp({
  name: 'Tanh',
  doc: 'the hyperbolic tangent',
  inputs: ['input'],
  outputs: ['output'],
  attrs: {},
  shape: sameType,
  /** tanh' = 1 − y². */
  gradient: (b, node, [dY]): Gradients => {
    const y = node.outputs[0];
    return [mul(b, dY!, b.op(onnx.Sub, [b.scalar(1), mul(b, y, y)]))];
  },
  since: 6,
  webgpu: true,
  cuda: true,
  import: () => layerUse('Tanh'),
});

export const Softplus = defineOp({
  name: 'Softplus',
  doc: 'ln(1 + eˣ)',
  inputs: ['X'],
  outputs: ['Y'],
  attrs: {},
  shape: sameType,
  /** softplus' = σ(x). */
  gradient: (b, node, [dY]): Gradients => [mul(b, dY!, b.op(onnx.Sigmoid, [node.inputs[0]]))],
  since: 1,
  webgpu: true,
  cuda: true,
});

export const LeakyRelu = defineOp({
  name: 'LeakyRelu',
  doc: 'x for x > 0, α·x otherwise',
  inputs: ['X'],
  outputs: ['Y'],
  attrs: { alpha: 'float' },
  shape: sameType,
  /** Slope 1 for x > 0, α otherwise (PyTorch's choice at 0). */
  gradient: (b, node, [dY]): Gradients => {
    const positive = b.op(onnx.Greater, [node.inputs[0], b.scalar(0)]);
    const alpha = b.scalar(storedAlpha(node.attrs.alpha, 0.01));
    return [b.op(onnx.Where, [positive, dY!, mul(b, dY!, alpha)])];
  },
  since: 6,
  webgpu: true,
  cuda: true,
  import: (n) => layerUse('LeakyReLU', { negative_slope: attrNumber(n.attrs.alpha, 0.01) }),
});

export const Elu = defineOp({
  name: 'Elu',
  doc: 'x for x > 0, α·(eˣ − 1) otherwise',
  inputs: ['X'],
  outputs: ['Y'],
  attrs: { alpha: 'float' },
  shape: sameType,
  /** elu' = 1 for x > 0, else α·eˣ = y + α. */
  gradient: (b, node, [dY]): Gradients => {
    const positive = b.op(onnx.Greater, [node.inputs[0], b.scalar(0)]);
    const slope = b.op(onnx.Add, [node.outputs[0], b.scalar(storedAlpha(node.attrs.alpha, 1))]);
    return [b.op(onnx.Where, [positive, dY!, mul(b, dY!, slope)])];
  },
  since: 6,
  webgpu: true,
  cuda: true,
  import: (n) => layerUse('ELU', { alpha: attrNumber(n.attrs.alpha, 1) }),
});

export const Clip = defineOp({
  name: 'Clip',
  doc: 'min(max(x, lo), hi), bounds as inputs (an imported Clip becomes ReLU, ReLU6 or Hardtanh)',
  inputs: ['input', 'min?', 'max?'],
  outputs: ['output'],
  attrs: {},
  shape: sameType,
  /** The gradient passes strictly between the bounds, as torch's hardtanh_backward. */
  gradient: (b, node, [dY]): Gradients => {
    const [x, lo, hi] = node.inputs;
    const zero = b.scalar(0);
    let dX = dY!;
    if (hi) dX = b.op(onnx.Where, [b.op(onnx.Less, [x, hi]), dX, zero]);
    if (lo) dX = b.op(onnx.Where, [b.op(onnx.Greater, [x, lo]), dX, zero]);
    return [dX, undefined, undefined];
  },
  since: 11,
  webgpu: true,
  cuda: true,
  import: (node, { known }) => {
    // Bounds are inputs from opset 11, attributes before.
    const bound = (input: number, attr: string): number | undefined | null => {
      const name = node.inputs[input];
      if (name) {
        const c = known.constant(name);
        return c && c.data.length === 1 ? Number(c.data[0]) : null;
      }
      const value = node.attrs[attr];
      return typeof value === 'number' ? value : undefined;
    };
    const [lo, hi] = [bound(1, 'min'), bound(2, 'max')];
    if (lo === null || hi === null) return { unsupported: 'Clip whose bounds are not constants' };
    // Exporters write an absent bound as ±FLT_MAX.
    const low = lo === undefined || lo <= -3.4e38 ? undefined : lo;
    const high = hi === undefined || hi >= 3.4e38 ? undefined : hi;
    if (low === 0 && high === 6) return layerUse('ReLU6');
    if (low === 0 && high === undefined) return layerUse('ReLU');
    if (low === undefined || high === undefined)
      return { unsupported: 'Clip with only an upper bound, or only a nonzero lower one' };
    return layerUse('Hardtanh', { min_val: low, max_val: high });
  },
});

/** 1 where 0 < y < 1 (the slope of a hard sigmoid's middle), 0 on and beyond its ends. */
function insideHardSigmoid(b: GraphBuilder, y: string): string {
  const above = b.op(onnx.Cast, [b.op(onnx.Greater, [y, b.scalar(0)])], { to: b.floatType });
  const below = b.op(onnx.Cast, [b.op(onnx.Less, [y, b.scalar(1)])], { to: b.floatType });
  return b.op(onnx.Mul, [above, below]);
}

/** torch's hardsigmoid: relu6(x + 3)/6, ONNX's HardSigmoid with α = 1/6, β = 0.5. */
const TORCH_HARD_SIGMOID = { alpha: 1 / 6, beta: 0.5 };

export const HardSigmoid = defineOp({
  name: 'HardSigmoid',
  doc: 'max(0, min(1, α·x + β))',
  inputs: ['X'],
  outputs: ['Y'],
  attrs: { alpha: 'float', beta: 'float' },
  shape: sameType,
  /** Slope α where 0 < y < 1, 0 on and beyond the ends (torch's hardsigmoid_backward). */
  gradient: (b, node, [dY]): Gradients => {
    const alpha = b.scalar(storedAlpha(node.attrs.alpha, 0.2));
    const slope = b.op(onnx.Mul, [insideHardSigmoid(b, node.outputs[0]), alpha]);
    return [b.op(onnx.Mul, [dY!, slope])];
  },
  since: 6,
  webgpu: true,
  cuda: true,
  import: (n) => {
    const torch =
      attrNumber(n.attrs.alpha, 0.2) === Math.fround(1 / 6) &&
      attrNumber(n.attrs.beta, 0.5) === 0.5;
    return torch
      ? layerUse('Hardsigmoid')
      : { unsupported: 'HardSigmoid other than torch’s (α 1/6, β 0.5)' };
  },
});

export const HardSwish = defineOp({
  name: 'HardSwish',
  doc: 'x · max(0, min(1, x/6 + 1/2))',
  inputs: ['X'],
  outputs: ['Y'],
  attrs: {},
  shape: sameType,
  /** d(x·h(x)) = h(x) + x·h'(x), h' = 1/6 where 0 < h < 1 (torch's hardswish_backward). */
  gradient: (b, node, [dY]): Gradients => {
    const x = node.inputs[0];
    const h = b.op(onnx.HardSigmoid, [x], TORCH_HARD_SIGMOID);
    const inner = b.op(onnx.Mul, [b.op(onnx.Mul, [x, insideHardSigmoid(b, h)]), b.scalar(1 / 6)]);
    return [b.op(onnx.Mul, [dY!, b.op(onnx.Add, [h, inner])])];
  },
  since: 14,
  /** Before opset 14: x · HardSigmoid(x), which HardSwish is defined as. */
  downgrade: (node) => {
    const hard = `${node.outputs[0]}/hard_sigmoid`;
    return [
      {
        op: 'HardSigmoid',
        inputs: node.inputs,
        outputs: [hard],
        attrs: TORCH_HARD_SIGMOID,
        origin: node.origin,
      },
      {
        op: 'Mul',
        inputs: [node.inputs[0], hard],
        outputs: node.outputs,
        attrs: {},
        origin: node.origin,
      },
    ];
  },
  webgpu: true,
  cuda: true,
  import: () => layerUse('Hardswish'),
});

/** Softmax and LogSoftmax normalize along one axis (opset 13 and later). */
const alongAxis = ([x]: ValueInfo[], attrs: { axis?: number }): OutputType[] => {
  normalizeAxis(attrs.axis ?? -1, x.shape.length);
  return [{ dtype: x.dtype, shape: x.shape }];
};

function sumAlong(b: GraphBuilder, node: OpNode<{ axis: 'int' }>, x: string): string {
  const rank = b.info(x).shape.length;
  const axis = node.attrs.axis ?? -1;
  return b.reduceSum(x, [axis < 0 ? axis + rank : axis], true);
}

/**
 * Before opset 13 Softmax and LogSoftmax flatten the input to 2-D at `axis` and normalize over
 * everything after it: the same as 13's per-axis meaning only when `axis` is the last one, so
 * another axis is moved last by a Transpose and back.
 */
const lastAxisForm: Downgrade = (node, _opset, graph): WrittenNode[] => {
  const input = graph.values.get(node.inputs[0]);
  if (!input) throw new OpsetError(`${node.op} (${node.origin}): the input's rank is unknown`);
  const rank = input.shape.length;
  const given = typeof node.attrs.axis === 'number' ? node.attrs.axis : -1;
  const axis = given < 0 ? given + rank : given;
  if (axis === rank - 1) return [{ ...node, attrs: { ...node.attrs, axis } }];
  const perm = [...Array(rank).keys()];
  [perm[axis], perm[rank - 1]] = [perm[rank - 1], perm[axis]];
  const [x] = node.inputs;
  const [y] = node.outputs;
  const moved = `${y}/axis_last`;
  const normalized = `${y}/normalized`;
  return [
    { op: 'Transpose', inputs: [x], outputs: [moved], attrs: { perm }, origin: node.origin },
    { ...node, inputs: [moved], outputs: [normalized], attrs: { ...node.attrs, axis: rank - 1 } },
    // swapping two axes is its own inverse
    { op: 'Transpose', inputs: [normalized], outputs: [y], attrs: { perm }, origin: node.origin },
  ];
};

export const Softmax = defineOp({
  name: 'Softmax',
  doc: 'eˣ normalized to sum to 1 along an axis',
  inputs: ['input'],
  outputs: ['output'],
  attrs: { axis: 'int' },
  shape: alongAxis,
  /** dx = y·(dy − Σ dy·y) along the axis. */
  gradient: (b, node, [dY]): Gradients => {
    const y = node.outputs[0];
    const dot = sumAlong(b, node, mul(b, dY!, y));
    return [mul(b, y, b.op(onnx.Sub, [dY!, dot]))];
  },
  since: 13,
  downgrade: lastAxisForm,
  webgpu: true,
  cuda: true,
  import: (n) => layerUse('Softmax', { dim: attrNumber(n.attrs.axis, -1) }),
});

/**
 * log softmax(x) along `axis`: LogSoftmax, or on a target without its kernel (x − m) − log Σ
 * e^(x − m), m the maximum, which keeps e^(x − m) ≤ 1. The result does not depend on m, so m
 * passes through StopGradient and the gradient is LogSoftmax's.
 */
export function logSoftmax(b: GraphBuilder, x: string, axis: number): string {
  if (b.runs(onnx.LogSoftmax, [x])) return b.op(onnx.LogSoftmax, [x], { axis });
  const axes = [axis < 0 ? axis + b.info(x).shape.length : axis];
  const max = b.op(onnx.ReduceMax, [x, b.int64s(axes)], { keepdims: 1 });
  const shifted = b.op(onnx.Sub, [x, b.op(onnx.StopGradient, [max])]);
  const total = b.reduceSum(b.op(onnx.Exp, [shifted]), axes, true);
  return b.op(onnx.Sub, [shifted, b.op(onnx.Log, [total])]);
}

export const LogSoftmax = defineOp({
  name: 'LogSoftmax',
  doc: 'the logarithm of Softmax',
  inputs: ['input'],
  outputs: ['output'],
  attrs: { axis: 'int' },
  shape: alongAxis,
  /** dx = dy − softmax(x)·Σ dy along the axis, with softmax(x) = exp(y). */
  gradient: (b, node, [dY]): Gradients => {
    const probs = b.op(onnx.Exp, [node.outputs[0]]);
    return [b.op(onnx.Sub, [dY!, mul(b, probs, sumAlong(b, node, dY!))])];
  },
  since: 13,
  downgrade: lastAxisForm,
  webgpu: NO_WEBGPU_KERNEL,
  cuda: true,
  import: (n) => layerUse('LogSoftmax', { dim: attrNumber(n.attrs.axis, -1) }),
});
