// The values of one sweep key: a list (each item a trial's value), a range drawn `n` times
// (`uniform`, `log_uniform`, `integer`, only where the key takes a number), or a single value
// every trial gets. Draws come from a stream named by the sweep and the key, so they are the
// same on every machine, and are rounded to 4 significant digits: the table shows the exact
// value each trial ran with.
import type { CallExpr, Diagnostic, Expr, NumberLiteral, SweepEntry } from '../../grammar/index.js';
import { diagnostic } from '../../grammar/index.js';
import { CODES } from '../codes.js';
import { Rng } from '../random.js';
import type { BindContext } from './args.js';
import { bindArgs, evaluateArg } from './args.js';
import type { SweepTarget } from './sweep-keys.js';
import type { ArgSpec } from '../vocabulary/args.js';
import { numberArg } from '../vocabulary/args.js';
import { int } from '../vocabulary/values.js';

export const RANGES = ['uniform', 'log_uniform', 'integer'] as const;
type RangeKind = (typeof RANGES)[number];

/** What each range draws (editors show it). */
export const RANGE_DOCS: Record<RangeKind, string> = {
  uniform: 'n values drawn uniformly from [low, high]',
  log_uniform: 'n values drawn uniformly in log scale from [low, high] (learning rates)',
  integer: 'n whole numbers drawn uniformly from [low, high]',
};

export function rangeArgs(kind: RangeKind): ArgSpec[] {
  const type = kind === 'integer' ? 'int' : 'number';
  return [
    { name: 'low', type, doc: 'the smallest value' },
    { name: 'high', type, doc: 'the largest value' },
    { name: 'n', type: 'int', doc: 'how many values to draw', min: 1 },
    { name: 'seed', type: 'int', default: int(0), doc: 'seed of the draws', min: 0 },
  ];
}

export interface ValueContext {
  sweep: string;
  file: string;
  diags: Diagnostic[];
}

/** The key's values in order; `sampled` when they were drawn (and so need no check each). */
export function keyValues(
  entry: SweepEntry,
  target: SweepTarget,
  ctx: ValueContext,
): { values: Expr[]; sampled: boolean } | undefined {
  const { value } = entry;
  const range = RANGES.find((r) => value.kind === 'Call' && value.callee.name === r);
  if (range && value.kind === 'Call' && takesNumber(target)) {
    const values = draw(range, value, entry.key.name, target.spec!, ctx);
    return values && { values, sampled: true };
  }
  if (value.kind !== 'List') return { values: [value], sampled: false };
  if (value.items.length === 0) {
    const message = `'${entry.key.name}' has no values: the list is empty`;
    ctx.diags.push(diagnostic(CODES.sweepValues, message, ctx.file, value.span));
    return undefined;
  }
  return { values: value.items, sampled: false };
}

function takesNumber(target: SweepTarget): boolean {
  const type = target.spec?.type;
  return type === 'int' || type === 'number' || type === 'any';
}

function draw(
  kind: RangeKind,
  call: CallExpr,
  key: string,
  target: ArgSpec,
  ctx: ValueContext,
): Expr[] | undefined {
  const bind: BindContext = { what: kind, file: ctx.file, span: call.span, constants: new Map() };
  const args = bindArgs(call.args, rangeArgs(kind), bind, ctx.diags);
  if (!args) return undefined;
  const fail = (code: string, message: string, at: { span: CallExpr['span'] }) => {
    ctx.diags.push(diagnostic(code, message, ctx.file, at.span));
    return undefined;
  };
  if (target.type === 'int' && kind !== 'integer') {
    const message = `'${key}' takes whole numbers: draw them with integer(low, high, n: …)`;
    return fail(CODES.argumentType, message, call.callee);
  }
  const [low, high, n, seed] = ['low', 'high', 'n', 'seed'].map((a) => numberArg(args, a));
  if (low > high)
    return fail(CODES.sweepValues, `${kind}: low (${low}) is greater than high (${high})`, call);
  if (kind === 'log_uniform' && low <= 0) {
    const message = `log_uniform: 'low' must be greater than 0, found ${low}`;
    return fail(CODES.argumentRange, message, { span: args.spans.get('low')! });
  }
  // Both ends must be values the key takes; every draw lies between them.
  const ends = call.args.filter((a, i) => (a.name ? ['low', 'high'].includes(a.name.name) : i < 2));
  const what = { ...bind, what: key };
  const inRange = ends.map((end) => evaluateArg({ ...end, name: null }, target, what, ctx.diags));
  if (inRange.some((value) => value === undefined)) return undefined;
  const rng = new Rng(seed, `sweep:${ctx.sweep}:${key}`);
  return Array.from({ length: n }, () => numberAt(drawOne(kind, low, high, rng), kind, call));
}

function drawOne(kind: RangeKind, low: number, high: number, rng: Rng): number {
  if (kind === 'integer') return low + rng.below(high - low + 1);
  const x =
    kind === 'uniform'
      ? rng.uniform(low, high)
      : Math.exp(rng.uniform(Math.log(low), Math.log(high)));
  return Math.min(high, Math.max(low, Number(x.toPrecision(4))));
}

function numberAt(value: number, kind: RangeKind, call: CallExpr): NumberLiteral {
  const isInteger = kind === 'integer';
  return { kind: 'Number', value, text: String(value), isInteger, span: call.span };
}
