import type { GraphBuilder } from '../ir/builder.js';
import { biasCorrection, movingAverage, movingSquareAverage, stepNumber } from './common.js';
import { withWeightDecay } from './common.js';
import { onnx } from '../ops/index.js';
import { bool, num, nums } from '../vocabulary/values.js';
import type { ArgSpec, BoundArgs } from '../vocabulary/args.js';
import { boolArg, numberArg, numbersArg } from '../vocabulary/args.js';
import type { OptimizerDef, UpdateInputs, UpdateOutputs } from '../vocabulary/defs.js';

function adamArgs(weightDecay: number, decayDoc: string): ArgSpec[] {
  return [
    {
      name: 'lr',
      type: 'number',
      default: num(1e-3),
      doc: 'learning rate',
      min: 0,
    },
    {
      name: 'betas',
      type: 'numbers',
      default: nums([0.9, 0.999]),
      doc: 'decay rates [β₁, β₂] of the averages of the gradient and of its square',
      length: 2,
      min: 0,
      below: 1,
    },
    { name: 'eps', type: 'number', default: num(1e-8), doc: 'added to the denominator', min: 0 },
    { name: 'weight_decay', type: 'number', default: num(weightDecay), doc: decayDoc, min: 0 },
    {
      name: 'amsgrad',
      type: 'bool',
      default: bool(false),
      doc: 'divide by the running maximum of the squared-gradient average (AMSGrad)',
    },
  ];
}

const slots = (args: BoundArgs) =>
  boolArg(args, 'amsgrad')
    ? ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq']
    : ['exp_avg', 'exp_avg_sq'];

/**
 * The Adam step on an already-decayed gradient, as torch 1.13's `_single_tensor_adam`:
 *   m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  v̂ ← max(v̂, v) (AMSGrad);
 *   θ ← θ − (lr / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + eps).
 */
function adamStep(
  b: GraphBuilder,
  param: string,
  grad: string,
  { state, lr, step }: UpdateInputs,
  args: BoundArgs,
): UpdateOutputs {
  const [beta1, beta2] = numbersArg(args, 'betas');
  const expAvg = movingAverage(b, state.exp_avg, grad, beta1);
  const expAvgSq = movingSquareAverage(b, state.exp_avg_sq, grad, beta2);
  const next: Record<string, string> = { exp_avg: expAvg, exp_avg_sq: expAvgSq };
  let second = expAvgSq;
  if (boolArg(args, 'amsgrad')) {
    second = b.op(onnx.Max, [state.max_exp_avg_sq, expAvgSq]);
    next.max_exp_avg_sq = second;
  }
  // Rearranged so the scalars meet first: m / (√v·c₁ + c₂) with c₁ = (1−β₁ᵗ)/(lr·√(1−β₂ᵗ))
  // and c₂ = eps·(1−β₁ᵗ)/lr is the same quotient in five passes over the tensors instead of
  // six (Adam's passes are most of a large model's optimizer time;
  // docs/decisions/0012-leaner-step-graphs.md).
  // At lr = 0 (a warm-up's first step) c₁ = 0 and c₂ = ∞ make the step m/∞ = 0, not 0·∞.
  const t = stepNumber(b, step);
  const perLr = b.op(onnx.Div, [biasCorrection(b, beta1, t), lr]);
  const stopped = b.op(onnx.Equal, [lr, b.scalar(0)]);
  const whenMoving = (stoppedValue: number, value: string) =>
    b.op(onnx.Where, [stopped, b.scalar(stoppedValue), value]);
  const c1 = whenMoving(0, b.op(onnx.Div, [perLr, b.op(onnx.Sqrt, [biasCorrection(b, beta2, t)])]));
  const c2 = whenMoving(Infinity, b.op(onnx.Mul, [perLr, b.scalar(numberArg(args, 'eps'))]));
  const denom = b.op(onnx.Add, [b.op(onnx.Mul, [b.op(onnx.Sqrt, [second]), c1]), c2]);
  const delta = b.op(onnx.Div, [expAvg, denom]);
  return { param: b.op(onnx.Sub, [param, delta]), state: next };
}

/** torch.optim.Adam: weight decay is an L2 penalty added to the gradient. */
export const Adam: OptimizerDef = {
  name: 'Adam',
  doc: 'Adam with bias-corrected moment estimates, optional AMSGrad and L2 weight decay (torch.optim.Adam).',
  args: adamArgs(0, 'L2 penalty, added to the gradient (coupled)'),
  slots,
  update(b, inputs, args) {
    const grad = withWeightDecay(b, inputs.grad, inputs.param, numberArg(args, 'weight_decay'));
    return adamStep(b, inputs.param, grad, inputs, args);
  },
};

/** torch.optim.AdamW: weight decay shrinks the parameter directly, θ ← θ·(1 − lr·wd), first. */
export const AdamW: OptimizerDef = {
  name: 'AdamW',
  doc: 'Adam with decoupled weight decay (torch.optim.AdamW).',
  args: adamArgs(0.01, 'decoupled weight decay: θ ← θ·(1 − lr·weight_decay) before the Adam step'),
  slots,
  update(b, inputs, args) {
    const decay = numberArg(args, 'weight_decay');
    let param = inputs.param;
    if (decay > 0) {
      const keep = b.op(onnx.Sub, [b.scalar(1), b.op(onnx.Mul, [inputs.lr, b.scalar(decay)])]);
      param = b.op(onnx.Mul, [param, keep]);
    }
    return adamStep(b, param, inputs.grad, inputs, args);
  },
};
