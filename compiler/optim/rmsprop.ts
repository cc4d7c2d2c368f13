import { movingAverage, movingSquareAverage, withWeightDecay } from './common.js';
import { onnx } from '../ops/index.js';
import { bool, num } from '../vocabulary/values.js';
import type { BoundArgs } from '../vocabulary/args.js';
import { boolArg, numberArg } from '../vocabulary/args.js';
import type { OptimizerDef } from '../vocabulary/defs.js';

function slots(args: BoundArgs): string[] {
  const names = ['square_avg'];
  if (numberArg(args, 'momentum') > 0) names.push('momentum_buffer');
  if (boolArg(args, 'centered')) names.push('grad_avg');
  return names;
}

/**
 * torch.optim.RMSprop:
 *   g ← g + wd·θ;  v ← αv + (1−α)g²;  centered: ḡ ← αḡ + (1−α)g, d = √(v − ḡ²) + eps, else
 *   d = √v + eps;  with momentum: b ← μb + g/d, θ ← θ − lr·b;  without: θ ← θ − lr·g/d.
 */
export const RMSprop: OptimizerDef = {
  name: 'RMSprop',
  doc: 'RMSprop: steps scaled by a moving average of squared gradients, optionally centered and with momentum (torch.optim.RMSprop).',
  args: [
    {
      name: 'lr',
      type: 'number',
      default: num(0.01),
      doc: 'learning rate',
      min: 0,
    },
    {
      name: 'alpha',
      type: 'number',
      default: num(0.99),
      doc: 'smoothing constant of the squared-gradient average',
      min: 0,
      max: 1,
    },
    { name: 'eps', type: 'number', default: num(1e-8), doc: 'added to the denominator', min: 0 },
    { name: 'weight_decay', type: 'number', default: num(0), doc: 'L2 penalty (coupled)', min: 0 },
    { name: 'momentum', type: 'number', default: num(0), doc: 'momentum factor μ', min: 0 },
    {
      name: 'centered',
      type: 'bool',
      default: bool(false),
      doc: 'normalize by an estimate of the gradient variance instead of its second moment',
    },
  ],
  slots,
  update(b, { param, grad, state, lr }, args) {
    const alpha = numberArg(args, 'alpha');
    const momentum = numberArg(args, 'momentum');
    const g = withWeightDecay(b, grad, param, numberArg(args, 'weight_decay'));
    const squareAvg = movingSquareAverage(b, state.square_avg, g, alpha);
    const next: Record<string, string> = { square_avg: squareAvg };
    let second = squareAvg;
    if (boolArg(args, 'centered')) {
      const gradAvg = movingAverage(b, state.grad_avg, g, alpha);
      next.grad_avg = gradAvg;
      second = b.op(onnx.Sub, [squareAvg, b.op(onnx.Mul, [gradAvg, gradAvg])]);
    }
    const avg = b.op(onnx.Add, [b.op(onnx.Sqrt, [second]), b.scalar(numberArg(args, 'eps'))]);
    if (momentum === 0) {
      // torch's addcdiv: (lr·g) / d, in that order.
      return {
        param: b.op(onnx.Sub, [param, b.op(onnx.Div, [b.op(onnx.Mul, [g, lr]), avg])]),
        state: next,
      };
    }
    const buffer = b.op(onnx.Add, [
      b.op(onnx.Mul, [state.momentum_buffer, b.scalar(momentum)]),
      b.op(onnx.Div, [g, avg]),
    ]);
    next.momentum_buffer = buffer;
    return { param: b.op(onnx.Sub, [param, b.op(onnx.Mul, [buffer, lr])]), state: next };
  },
};
