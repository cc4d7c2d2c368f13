// Elementwise arithmetic: what losses, optimizers, normalization, GELU and Softplus are
// composed of. Binary ops broadcast (numpy rules); their gradients are returned shaped like
// the broadcast output and the backward driver sums them back to each input's shape.
import type { GraphBuilder } from '../ir/builder.js';
import type { Gradients } from './op.js';
import { defineOp, NO_WEBGPU_KERNEL } from './op.js';
import { layerUse } from '../import/conversion.js';
import { broadcastType, sameType } from './shapes.js';
import { onnx } from './index.js';

const mul = (b: GraphBuilder, x: string, y: string) => b.op(onnx.Mul, [x, y]);

export const Add = defineOp({
  name: 'Add',
  doc: 'a + b',
  inputs: ['A', 'B'],
  outputs: ['C'],
  attrs: {},
  shape: broadcastType,
  gradient: (_b, _node, [dY]): Gradients => [dY, dY],
  since: 7,
  webgpu: true,
  cuda: true,
  import: (node, { known }) =>
    node.inputs.some((i) => known.has(i)) ? { unsupported: 'Add of a constant' } : layerUse('Add'),
});

export const Sub = defineOp({
  name: 'Sub',
  doc: 'a − b',
  inputs: ['A', 'B'],
  outputs: ['C'],
  attrs: {},
  shape: broadcastType,
  gradient: (b, _node, [dY], needed): Gradients => [
    dY,
    needed[1] ? b.op(onnx.Neg, [dY!]) : undefined,
  ],
  since: 7,
  webgpu: true,
  cuda: true,
});

export const Mul = defineOp({
  name: 'Mul',
  doc: 'a · b',
  inputs: ['A', 'B'],
  outputs: ['C'],
  attrs: {},
  shape: broadcastType,
  gradient: (b, node, [dY], needed): Gradients => {
    const [x, y] = node.inputs;
    return [needed[0] ? mul(b, dY!, y) : undefined, needed[1] ? mul(b, dY!, x) : undefined];
  },
  since: 7,
  webgpu: true,
  cuda: true,
});

export const Div = defineOp({
  name: 'Div',
  doc: 'a / b',
  inputs: ['A', 'B'],
  outputs: ['C'],
  attrs: {},
  shape: broadcastType,
  /** d(x/y) = dy/y for x, −dy·x/y² = −dy·(x/y)/y for y. */
  gradient: (b, node, [dY], needed): Gradients => {
    const [, y] = node.inputs;
    const dX = b.op(onnx.Div, [dY!, y]);
    const dDenominator = needed[1]
      ? b.op(onnx.Neg, [b.op(onnx.Div, [mul(b, dY!, node.outputs[0]), y])])
      : undefined;
    return [dX, dDenominator];
  },
  since: 7,
  webgpu: true,
  cuda: true,
});

export const Pow = defineOp({
  name: 'Pow',
  doc: 'xᵉ',
  inputs: ['X', 'Y'],
  outputs: ['Z'],
  attrs: {},
  shape: broadcastType,
  /** d(xᵉ) = e·xᵉ⁻¹ for x, xᵉ·ln x for e. */
  gradient: (b, node, [dY], needed): Gradients => {
    const [x, e] = node.inputs;
    const dX = needed[0]
      ? mul(b, dY!, mul(b, e, b.op(onnx.Pow, [x, b.op(onnx.Sub, [e, b.scalar(1)])])))
      : undefined;
    const dE = needed[1] ? mul(b, dY!, mul(b, node.outputs[0], b.op(onnx.Log, [x]))) : undefined;
    return [dX, dE];
  },
  since: 7,
  webgpu: true,
  cuda: true,
});

export const Max = defineOp({
  name: 'Max',
  doc: 'the elementwise maximum (AMSGrad’s running maximum, the unbiased variance’s dof)',
  inputs: ['data_0', 'data...'],
  outputs: ['max'],
  attrs: {},
  shape: broadcastType,
  gradient: { unsupported: 'netspec takes maxima of optimizer state and counts only' },
  since: 8,
  webgpu: true,
  cuda: true,
});

export const Neg = defineOp({
  name: 'Neg',
  doc: '−x',
  inputs: ['X'],
  outputs: ['Y'],
  attrs: {},
  shape: sameType,
  gradient: (b, _node, [dY]): Gradients => [b.op(onnx.Neg, [dY!])],
  since: 6,
  webgpu: true,
  cuda: true,
});

export const Abs = defineOp({
  name: 'Abs',
  doc: '|x| (the L1 loss)',
  inputs: ['X'],
  outputs: ['Y'],
  attrs: {},
  shape: sameType,
  /** |x|' = sign(x): 0 at 0, as PyTorch. */
  gradient: (b, node, [dY]): Gradients => [mul(b, dY!, sign(b, node.inputs[0]))],
  since: 6,
  webgpu: true,
  cuda: true,
});

/** sign(x), or where the target has no Sign kernel (x > 0) − (x < 0), the same −1, 0 or 1. */
function sign(b: GraphBuilder, x: string): string {
  if (b.runs(onnx.Sign, [x])) return b.op(onnx.Sign, [x]);
  const side = (op: typeof onnx.Greater | typeof onnx.Less) =>
    b.op(onnx.Cast, [b.op(op, [x, b.scalar(0)])], { to: b.floatType });
  return b.op(onnx.Sub, [side(onnx.Greater), side(onnx.Less)]);
}

export const Sign = defineOp({
  name: 'Sign',
  doc: 'sign(x): −1, 0 or 1 (the L1 loss’s gradient)',
  inputs: ['input'],
  outputs: ['output'],
  attrs: {},
  shape: sameType,
  gradient: { none: 'piecewise constant: its derivative is zero wherever it exists' },
  since: 9,
  webgpu: NO_WEBGPU_KERNEL,
  cuda: true,
});

export const Sqrt = defineOp({
  name: 'Sqrt',
  doc: '√x',
  inputs: ['X'],
  outputs: ['Y'],
  attrs: {},
  shape: sameType,
  /** √x' = 1 / (2√x). */
  gradient: (b, node, [dY]): Gradients => [
    b.op(onnx.Div, [dY!, mul(b, b.scalar(2), node.outputs[0])]),
  ],
  since: 6,
  webgpu: true,
  cuda: true,
});

export const Exp = defineOp({
  name: 'Exp',
  doc: 'eˣ',
  inputs: ['input'],
  outputs: ['output'],
  attrs: {},
  shape: sameType,
  gradient: (b, node, [dY]): Gradients => [mul(b, dY!, node.outputs[0])],
  since: 6,
  webgpu: true,
  cuda: true,
});

export const Log = defineOp({
  name: 'Log',
  doc: 'ln x',
  inputs: ['input'],
  outputs: ['output'],
  attrs: {},
  shape: sameType,
  gradient: (b, node, [dY]): Gradients => [b.op(onnx.Div, [dY!, node.inputs[0]])],
  since: 6,
  webgpu: true,
  cuda: true,
});

export const Erf = defineOp({
  name: 'Erf',
  doc: 'the error function (GELU)',
  inputs: ['input'],
  outputs: ['output'],
  attrs: {},
  shape: sameType,
  /** erf' = 2/√π · exp(−x²). */
  gradient: (b, node, [dY]): Gradients => {
    const x = node.inputs[0];
    const gauss = b.op(onnx.Exp, [b.op(onnx.Neg, [mul(b, x, x)])]);
    const scale = b.scalar(2 / Math.sqrt(Math.PI));
    return [mul(b, mul(b, dY!, gauss), scale)];
  },
  since: 9,
  webgpu: true,
  cuda: true,
});
