// Stop conditions: `stop when steps > 20000 or improvement < 1e-5 or full_grad_norm < 1e-6`.
// The checker turns the expression into a `StopCondition` over known quantities; the runtime
// evaluates it at the grain of each quantity (after every step for `steps`, after every epoch or
// every N steps for the others) and reports which comparison stopped the run.
import type { Expr } from '../grammar/index.js';
import type { StopCondition } from './vocabulary/model.js';

/**
 * What a stop condition can test. "The period" is what the condition is checked over: the last
 * epoch, or the last N steps with `stop when … every N steps`.
 */
export const STOP_QUANTITIES: ReadonlyMap<string, string> = new Map([
  [
    'steps',
    'optimizer steps taken so far; checked after every step, so `steps > 300` stops after step 301 and `steps >= 300` after step 300',
  ],
  ['epochs', 'epochs completed'],
  [
    'loss',
    "mean training data loss f(θk) over the period (the loss function alone, without weight_decay's penalty)",
  ],
  [
    'val_loss',
    'loss on the validation split (or the test split when there is none); with `every N steps` the split is evaluated at each check',
  ],
  ['accuracy', 'training accuracy over the period'],
  ['val_accuracy', 'accuracy on the validation split (or the test split)'],
  ['improvement', 'absolute improvement of the period loss, f(θk−1) − f(θk)'],
  [
    'relative_improvement',
    'improvement relative to the previous loss, (f(θk−1) − f(θk)) / |f(θk−1)|',
  ],
  [
    'batch_grad_norm',
    "the last step's minibatch gradient norm ‖∇f_B(θ)‖: free, but a noisy estimate of ‖∇f(θ)‖",
  ],
  [
    'full_grad_norm',
    "the notes' gradient magnitude ‖∇f(θ)‖ over the whole training set (data loss plus weight_decay's penalty): a forward and backward pass over every training example in evaluation mode (no dropout, batch norm's running statistics) at each check",
  ],
]);

/** Quantities that change with every step: checked after each one, whatever the period. */
export const STEP_QUANTITIES: ReadonlySet<string> = new Set(['steps']);

/** `grad_norm` named two different things: each now has its own name. */
const GRAD_NORM_HINT =
  "'grad_norm' could mean two things: batch_grad_norm (the last minibatch's gradient, free) or full_grad_norm (‖∇f(θ)‖ over the whole training set, one extra pass per check)";

/** The quantities a condition compares, each once. */
export function quantitiesOf(condition: StopCondition): Set<string> {
  if (condition.kind === 'compare') return new Set([condition.quantity]);
  return new Set([...quantitiesOf(condition.left), ...quantitiesOf(condition.right)]);
}

/** The first comparison that holds (the reason to stop), or undefined. */
export function stopReason(
  condition: StopCondition,
  values: ReadonlyMap<string, number>,
): string | undefined {
  switch (condition.kind) {
    case 'or':
      return stopReason(condition.left, values) ?? stopReason(condition.right, values);
    case 'and': {
      const left = stopReason(condition.left, values);
      const right = left && stopReason(condition.right, values);
      return right ? `${left} and ${right}` : undefined;
    }
    case 'compare': {
      const v = values.get(condition.quantity);
      if (v === undefined || Number.isNaN(v)) return undefined;
      const holds = {
        '<': v < condition.value,
        '<=': v <= condition.value,
        '>': v > condition.value,
        '>=': v >= condition.value,
      }[condition.op];
      return holds
        ? `${condition.text} (${condition.quantity} = ${Number(v.toPrecision(6))})`
        : undefined;
    }
  }
}

/** Converts a checked expression; returns a message and the offending node when it can't. */
export function toStopCondition(expr: Expr): StopCondition | { error: string; at: Expr } {
  if (expr.kind === 'Binary' && (expr.op === 'or' || expr.op === 'and')) {
    const left = toStopCondition(expr.left);
    if ('error' in left) return left;
    const right = toStopCondition(expr.right);
    if ('error' in right) return right;
    return { kind: expr.op, left, right };
  }
  if (
    expr.kind === 'Binary' &&
    (expr.op === '<' || expr.op === '<=' || expr.op === '>' || expr.op === '>=')
  ) {
    if (expr.left.kind === 'Name' && expr.left.name === 'grad_norm')
      return { error: GRAD_NORM_HINT, at: expr.left };
    if (expr.left.kind !== 'Name' || !STOP_QUANTITIES.has(expr.left.name)) {
      const known = [...STOP_QUANTITIES.keys()].join(', ');
      return { error: `a stop condition compares one of: ${known}`, at: expr.left };
    }
    const value = numberOf(expr.right);
    if (value === undefined) return { error: 'expected a number to compare with', at: expr.right };
    const text = `${expr.left.name} ${expr.op} ${Number(value.toPrecision(6))}`;
    return { kind: 'compare', quantity: expr.left.name, op: expr.op, value, text };
  }
  return { error: "expected comparisons such as 'steps > 20000', joined by 'or'/'and'", at: expr };
}

function numberOf(expr: Expr): number | undefined {
  if (expr.kind === 'Number') return expr.value;
  if (expr.kind === 'Unary' && expr.op === '-') {
    const v = numberOf(expr.operand);
    return v === undefined ? undefined : -v;
  }
  return undefined;
}
