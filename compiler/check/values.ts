// Evaluates spec expressions that must be known before anything runs: numbers (with
// arithmetic), strings, booleans, `auto`, lists, and names of network parameters.
import type { BinaryOperator, Expr } from '../../grammar/index.js';
import type { Constants, SpecValue } from '../vocabulary/values.js';
import { describe } from '../vocabulary/values.js';

export class EvalError extends Error {
  constructor(
    message: string,
    readonly expr: Expr,
  ) {
    super(message);
  }
}

export function evaluate(expr: Expr, constants: Constants): SpecValue {
  switch (expr.kind) {
    case 'Number':
      if (!Number.isFinite(expr.value))
        throw new EvalError(
          `the number ${shorten(expr.text)} is too large (beyond ±1.8e308)`,
          expr,
        );
      return { t: 'num', v: expr.value, int: expr.isInteger };
    case 'String':
      return { t: 'str', v: expr.value };
    case 'Boolean':
      return { t: 'bool', v: expr.value };
    case 'Auto':
      return { t: 'auto' };
    case 'Name':
      return constants.get(expr.name) ?? { t: 'name', name: expr.name };
    case 'List':
      return { t: 'list', items: expr.items.map((item) => evaluate(item, constants)) };
    case 'Unary':
      if (expr.op === 'not') return { t: 'bool', v: !boolean(expr.operand, constants) };
      return negate(number(expr.operand, constants));
    case 'Binary':
      return binary(expr.op, expr, constants);
    case 'Call':
    case 'Chain':
    case 'If':
      throw new EvalError('expected a value here, not a layer or a call', expr);
  }
}

function negate(v: { v: number; int: boolean }): SpecValue {
  return { t: 'num', v: -v.v, int: v.int };
}

function boolean(expr: Expr, constants: Constants): boolean {
  const value = evaluate(expr, constants);
  if (value.t !== 'bool')
    throw new EvalError(`expected true or false, found ${describe(value)}`, expr);
  return value.v;
}

function binary(
  op: BinaryOperator,
  expr: Expr & { left: Expr; right: Expr },
  constants: Constants,
): SpecValue {
  if (op === 'and' || op === 'or') {
    const left = boolean(expr.left, constants);
    const right = boolean(expr.right, constants);
    return { t: 'bool', v: op === 'and' ? left && right : left || right };
  }
  if (op === '==' || op === '!=') {
    const same = sameValue(evaluate(expr.left, constants), evaluate(expr.right, constants));
    return { t: 'bool', v: op === '==' ? same : !same };
  }
  const a = number(expr.left, constants);
  const b = number(expr.right, constants);
  switch (op) {
    case '<':
      return { t: 'bool', v: a.v < b.v };
    case '<=':
      return { t: 'bool', v: a.v <= b.v };
    case '>':
      return { t: 'bool', v: a.v > b.v };
    case '>=':
      return { t: 'bool', v: a.v >= b.v };
    default: {
      const result = arithmetic(op, a, b);
      if (!Number.isFinite(result.v)) {
        const why = op === '/' && b.v === 0 ? 'divides by zero' : 'is too large (beyond ±1.8e308)';
        throw new EvalError(`this ${OPERATION_NAMES[op]} ${why}`, expr);
      }
      return result;
    }
  }
}

const OPERATION_NAMES = { '+': 'sum', '-': 'difference', '*': 'product', '/': 'quotient' };

/** A long literal, for messages. */
const shorten = (text: string) =>
  text.length > 24 ? `${text.slice(0, 12)}… (${text.length} characters)` : text;

function sameValue(a: SpecValue, b: SpecValue): boolean {
  return JSON.stringify(a) === JSON.stringify(b) || (a.t === 'num' && b.t === 'num' && a.v === b.v);
}

function number(expr: Expr, constants: Constants): { v: number; int: boolean } {
  const value = evaluate(expr, constants);
  if (value.t !== 'num') throw new EvalError(`expected a number, found ${describe(value)}`, expr);
  return value;
}

/** The result is an integer when it is a whole number, as a literal is (docs/language.md). */
function arithmetic(
  op: '+' | '-' | '*' | '/',
  a: { v: number },
  b: { v: number },
): { t: 'num'; v: number; int: boolean } {
  const v = op === '+' ? a.v + b.v : op === '-' ? a.v - b.v : op === '*' ? a.v * b.v : a.v / b.v;
  return { t: 'num', v, int: Number.isInteger(v) };
}
