// Stop conditions: `stop when steps > 20000 or improvement < 1e-5 or grad_norm < 1e-6`.
// The checker turns the expression into a `StopCondition` over known quantities; the runtime
// evaluates it after every epoch and reports which comparison stopped the run.
import type { Expr } from '../grammar/index.js';
import type { StopCondition } from './vocabulary/model.js';

/** What a stop condition can test, each computed by the runtime after an epoch. */
export const STOP_QUANTITIES: ReadonlyMap<string, string> = new Map([
  ['steps', 'optimizer steps taken so far (k)'],
  ['epochs', 'epochs completed'],
  ['loss', 'mean training loss of the last epoch, f(θk)'],
  ['val_loss', 'loss on the validation split (or the test split when there is none)'],
  ['accuracy', 'training accuracy of the last epoch'],
  ['val_accuracy', 'accuracy on the validation split (or the test split)'],
  ['improvement', 'absolute improvement of the epoch loss, f(θk−1) − f(θk)'],
  [
    'relative_improvement',
    'improvement relative to the previous loss, (f(θk−1) − f(θk)) / |f(θk−1)|',
  ],
  ['grad_norm', 'gradient norm ‖∇f‖ at the last step of the epoch'],
]);

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
