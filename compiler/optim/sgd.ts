import { onnx } from '../ops/index.js';
import { bool, num } from '../vocabulary/values.js';
import { boolArg, numberArg } from '../vocabulary/args.js';
import type { OptimizerDef } from '../vocabulary/defs.js';

/**
 * torch.optim.SGD, with its exact update:
 *   g ← g + wd·θ;  b ← g on the first step, else μ·b + (1−dampening)·g;
 *   g ← g + μ·b (Nesterov) or b;  θ ← θ − lr·g.
 */
export const SGD: OptimizerDef = {
  name: 'SGD',
  doc: 'Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and weight decay (torch.optim.SGD).',
  args: [
    {
      name: 'lr',
      type: 'number',
      default: num(1e-3),
      doc: 'learning rate',
      min: 0,
    },
    { name: 'momentum', type: 'number', default: num(0), doc: 'momentum factor μ', min: 0 },
    {
      name: 'dampening',
      type: 'number',
      default: num(0),
      doc: 'dampening for momentum',
      min: 0,
      max: 1,
    },
    { name: 'weight_decay', type: 'number', default: num(0), doc: 'L2 penalty (coupled)', min: 0 },
    { name: 'nesterov', type: 'bool', default: bool(false), doc: 'use Nesterov momentum' },
  ],
  check(args) {
    const ok = numberArg(args, 'momentum') > 0 && numberArg(args, 'dampening') === 0;
    if (!boolArg(args, 'nesterov') || ok) return undefined;
    return { arg: 'nesterov', message: 'Nesterov momentum needs momentum > 0 and dampening 0' };
  },
  slots: (args) => (numberArg(args, 'momentum') > 0 ? ['momentum_buffer'] : []),
  update(b, { param, grad, state, lr, step }, args) {
    const momentum = numberArg(args, 'momentum');
    const dampening = numberArg(args, 'dampening');
    const decay = numberArg(args, 'weight_decay');
    let g = grad;
    if (decay > 0) g = b.op(onnx.Add, [g, b.op(onnx.Mul, [param, b.scalar(decay)])]);
    const newState: Record<string, string> = {};
    if (momentum > 0) {
      let fresh = g;
      if (dampening > 0) {
        // torch starts the buffer at g itself; dampening applies from the second step on.
        const first = b.op(onnx.Equal, [step, b.scalar(0, b.info(step).dtype)]);
        fresh = b.op(onnx.Where, [first, g, b.op(onnx.Mul, [g, b.scalar(1 - dampening)])]);
      }
      const buffer = b.op(onnx.Add, [
        b.op(onnx.Mul, [state.momentum_buffer, b.scalar(momentum)]),
        fresh,
      ]);
      newState.momentum_buffer = buffer;
      g = boolArg(args, 'nesterov')
        ? b.op(onnx.Add, [g, b.op(onnx.Mul, [buffer, b.scalar(momentum)])])
        : buffer;
    }
    return { param: b.op(onnx.Sub, [param, b.op(onnx.Mul, [g, lr])]), state: newState };
  },
};
