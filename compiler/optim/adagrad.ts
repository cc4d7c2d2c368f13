import { withWeightDecay } from './common.js';
import { onnx } from '../ops/index.js';
import { num } from '../vocabulary/values.js';
import { numberArg } from '../vocabulary/args.js';
import type { OptimizerDef } from '../vocabulary/defs.js';

/**
 * torch.optim.Adagrad:
 *   g ← g + wd·θ;  clr = lr / (1 + (t−1)·lr_decay);  s ← s + g²;  θ ← θ − clr·g / (√s + eps).
 * State starts at zero in netspec, so the `sum` slot holds s − initial_accumulator_value and
 * the initial value is added back where s is read.
 */
export const Adagrad: OptimizerDef = {
  name: 'Adagrad',
  doc: 'Adagrad: per-coordinate steps scaled by the root of the summed squared gradients (torch.optim.Adagrad).',
  args: [
    {
      name: 'lr',
      type: 'number',
      default: num(0.01),
      doc: 'learning rate',
      min: 0,
    },
    {
      name: 'lr_decay',
      type: 'number',
      default: num(0),
      doc: 'learning-rate decay: step t uses lr / (1 + (t−1)·lr_decay)',
      min: 0,
    },
    { name: 'weight_decay', type: 'number', default: num(0), doc: 'L2 penalty (coupled)', min: 0 },
    {
      name: 'initial_accumulator_value',
      type: 'number',
      default: num(0),
      doc: 'starting value of the sum of squared gradients',
      min: 0,
    },
    { name: 'eps', type: 'number', default: num(1e-10), doc: 'added to the denominator', min: 0 },
  ],
  slots: () => ['sum'],
  update(b, { param, grad, state, lr, step }, args) {
    const g = withWeightDecay(b, grad, param, numberArg(args, 'weight_decay'));
    const lrDecay = numberArg(args, 'lr_decay');
    let clr = lr;
    if (lrDecay > 0) {
      // `step` counts the steps before this one: torch's t − 1.
      const taken = b.op(onnx.Cast, [step], { to: b.floatType });
      const factor = b.op(onnx.Add, [b.scalar(1), b.op(onnx.Mul, [taken, b.scalar(lrDecay)])]);
      clr = b.op(onnx.Div, [lr, factor]);
    }
    const offset = b.op(onnx.Add, [state.sum, b.op(onnx.Mul, [g, g])]);
    const initial = numberArg(args, 'initial_accumulator_value');
    const sum = initial === 0 ? offset : b.op(onnx.Add, [offset, b.scalar(initial)]);
    const std = b.op(onnx.Add, [b.op(onnx.Sqrt, [sum]), b.scalar(numberArg(args, 'eps'))]);
    const delta = b.op(onnx.Div, [b.op(onnx.Mul, [g, clr]), std]);
    return { param: b.op(onnx.Sub, [param, delta]), state: { sum: offset } };
  },
};
