// Binds the arguments of a call (`Linear(784, 256, bias: false)`) to the argument list of a
// registry entry: positional then named, like Python, with types, defaults and ranges checked.
// Every registry (layers, optimizers, data sources) describes its arguments with `ArgSpec`.
import type { Argument, Diagnostic, Span } from '../../grammar/index.js';
import { diagnostic } from '../../grammar/index.js';
import { CODES } from '../codes.js';
import { didYouMean } from './names.js';
import type { Constants, SpecValue } from './values.js';
import { describe, EvalError, evaluate } from './values.js';

/** `pair`: an integer or a list of two (torch's `int | tuple[int, int]`, e.g. kernel_size). */
/** `numbers`: a list of numbers (Adam's `betas: [0.9, 0.999]`); bounds hold for every item. */
export type ArgType =
  'int' | 'number' | 'bool' | 'string' | 'size' | 'shape' | 'pair' | 'numbers' | 'any';

export interface ArgSpec {
  name: string;
  type: ArgType;
  /** Omitted: the argument is required. */
  default?: SpecValue;
  doc: string;
  /** Inclusive lower bound for numbers. */
  min?: number;
  /** Exclusive lower bound for numbers (e.g. a learning rate must be > 0). */
  above?: number;
  max?: number;
  /** Exclusive upper bound for numbers (e.g. a decay rate β must be < 1). */
  below?: number;
  /** Exact number of items of a `numbers` argument. */
  length?: number;
}

export interface BoundArgs {
  values: Map<string, SpecValue>;
  /** Where each argument was written; absent for defaults. */
  spans: Map<string, Span>;
}

export interface BindContext {
  /** What is being called, for messages: "Linear", "optimizer SGD". */
  what: string;
  file: string;
  span: Span;
  constants: Constants;
}

export function bindArgs(
  args: readonly Argument[],
  specs: readonly ArgSpec[],
  ctx: BindContext,
  diags: Diagnostic[],
): BoundArgs {
  const bound: BoundArgs = { values: new Map(), spans: new Map() };
  const before = diags.length;
  args.forEach((arg, position) => {
    const spec = arg.name ? specs.find((s) => s.name === arg.name!.name) : specs[position];
    if (!spec) {
      diags.push(unknownArgument(arg, position, specs, ctx));
      return;
    }
    if (bound.values.has(spec.name)) {
      const message = `${ctx.what}: argument '${spec.name}' is given twice`;
      diags.push(diagnostic(CODES.argumentTwice, message, ctx.file, arg.span));
      return;
    }
    const value = evaluateArg(arg, spec, ctx, diags);
    if (value) {
      bound.values.set(spec.name, value);
      bound.spans.set(spec.name, arg.value.span);
    }
  });
  if (diags.length > before) return bound;
  for (const spec of specs) {
    if (bound.values.has(spec.name)) continue;
    if (spec.default) bound.values.set(spec.name, spec.default);
    else {
      const message = `${ctx.what}: missing argument '${spec.name}' (${spec.doc})`;
      diags.push(diagnostic(CODES.missingArgument, message, ctx.file, ctx.span));
    }
  }
  return bound;
}

function unknownArgument(
  arg: Argument,
  position: number,
  specs: readonly ArgSpec[],
  ctx: BindContext,
): Diagnostic {
  if (arg.name) {
    const names = specs.map((s) => s.name);
    const message = `${ctx.what} has no argument '${arg.name.name}'${didYouMean(arg.name.name, names)}`;
    return diagnostic(CODES.unknownArgument, message, ctx.file, arg.name.span);
  }
  const message = `${ctx.what} takes at most ${specs.length} arguments, but this is argument ${position + 1}`;
  return diagnostic(CODES.tooManyArguments, message, ctx.file, arg.span);
}

function evaluateArg(
  arg: Argument,
  spec: ArgSpec,
  ctx: BindContext,
  diags: Diagnostic[],
): SpecValue | undefined {
  let value: SpecValue;
  try {
    value = evaluate(arg.value, ctx.constants);
  } catch (e) {
    if (!(e instanceof EvalError)) throw e;
    diags.push(diagnostic(CODES.argumentType, `${ctx.what}: ${e.message}`, ctx.file, e.expr.span));
    return undefined;
  }
  const problem = typeProblem(value, spec) ?? rangeProblem(value, spec);
  if (problem) {
    const code = typeProblem(value, spec) ? CODES.argumentType : CODES.argumentRange;
    diags.push(
      diagnostic(code, `${ctx.what}: '${spec.name}' ${problem}`, ctx.file, arg.value.span),
    );
    return undefined;
  }
  return value;
}

const TYPE_NAMES: Record<ArgType, string> = {
  int: 'an integer',
  number: 'a number',
  bool: 'true or false',
  string: 'a string',
  size: 'an integer or `auto`',
  shape: 'a list of integers',
  pair: 'an integer or a list of two integers',
  numbers: 'a list of numbers',
  any: 'a value',
};

function typeProblem(value: SpecValue, spec: ArgSpec): string | undefined {
  const unsafe = [value, ...(value.t === 'list' ? value.items : [])].find(
    (v) => v.t === 'num' && v.int && !Number.isSafeInteger(v.v),
  );
  if (unsafe && spec.type !== 'number' && spec.type !== 'numbers' && spec.type !== 'any')
    return `must be an integer up to ${Number.MAX_SAFE_INTEGER.toLocaleString('en-US')} (2^53 − 1), found ${describe(unsafe)}`;
  const ok = (() => {
    switch (spec.type) {
      case 'int':
        return value.t === 'num' && value.int;
      case 'number':
        return value.t === 'num';
      case 'bool':
        return value.t === 'bool';
      case 'string':
        return value.t === 'str';
      case 'size':
        return value.t === 'auto' || (value.t === 'num' && value.int);
      case 'shape':
        return value.t === 'list' && value.items.every((i) => i.t === 'num' && i.int);
      case 'pair':
        return (
          (value.t === 'num' && value.int) ||
          (value.t === 'list' &&
            value.items.length === 2 &&
            value.items.every((i) => i.t === 'num' && i.int))
        );
      case 'numbers':
        return value.t === 'list' && value.items.every((i) => i.t === 'num');
      case 'any':
        return true;
    }
  })();
  return ok ? undefined : `must be ${TYPE_NAMES[spec.type]}, found ${describe(value)}`;
}

function rangeProblem(value: SpecValue, spec: ArgSpec): string | undefined {
  if (value.t === 'list' && spec.length !== undefined && value.items.length !== spec.length)
    return `must have ${spec.length} items, found ${value.items.length}`;
  // A pair's bounds hold for each of its two numbers.
  if (value.t === 'list') return value.items.map((i) => rangeProblem(i, spec)).find(Boolean);
  if (value.t !== 'num') return undefined;
  if (spec.min !== undefined && value.v < spec.min)
    return `must be at least ${spec.min}, found ${value.v}`;
  if (spec.above !== undefined && value.v <= spec.above)
    return `must be greater than ${spec.above}, found ${value.v}`;
  if (spec.max !== undefined && value.v > spec.max)
    return `must be at most ${spec.max}, found ${value.v}`;
  if (spec.below !== undefined && value.v >= spec.below)
    return `must be less than ${spec.below}, found ${value.v}`;
  return undefined;
}

// ---- typed reads of bound arguments (types were checked when binding) -----------------------

export function numberArg(args: BoundArgs, name: string): number {
  const v = args.values.get(name);
  if (v?.t !== 'num') throw new Error(`argument '${name}' is not a bound number`);
  return v.v;
}

export function boolArg(args: BoundArgs, name: string): boolean {
  const v = args.values.get(name);
  if (v?.t !== 'bool') throw new Error(`argument '${name}' is not a bound boolean`);
  return v.v;
}

export function stringArg(args: BoundArgs, name: string): string {
  const v = args.values.get(name);
  if (v?.t !== 'str') throw new Error(`argument '${name}' is not a bound string`);
  return v.v;
}

/** A size argument: a number, or undefined for `auto`. */
export function sizeArg(args: BoundArgs, name: string): number | undefined {
  const v = args.values.get(name);
  return v?.t === 'num' ? v.v : undefined;
}

/** A `pair` argument as [height, width]; a single integer stands for both. */
export function pairArg(args: BoundArgs, name: string): [number, number] {
  const v = args.values.get(name);
  if (v?.t === 'num') return [v.v, v.v];
  if (v?.t === 'list' && v.items[0].t === 'num' && v.items[1].t === 'num')
    return [v.items[0].v, v.items[1].v];
  throw new Error(`argument '${name}' is not a bound pair`);
}

export function numbersArg(args: BoundArgs, name: string): number[] {
  const v = args.values.get(name);
  if (v?.t !== 'list') throw new Error(`argument '${name}' is not a bound list`);
  return v.items.map((item) => (item.t === 'num' ? item.v : NaN));
}

export const int = (v: number): SpecValue => ({ t: 'num', v, int: true });
export const num = (v: number): SpecValue => ({ t: 'num', v, int: false });
export const bool = (v: boolean): SpecValue => ({ t: 'bool', v });
export const nums = (vs: number[]): SpecValue => ({ t: 'list', items: vs.map(num) });
export const AUTO: SpecValue = { t: 'auto' };

/**
 * Binds arguments given as plain values (not spec text), e.g. from an imported ONNX node's
 * attributes; defaults fill the rest. Throws on a value the spec could not have held, since
 * callers build these from validated data.
 */
export function bindValues(
  specs: readonly ArgSpec[],
  given: Record<string, number | boolean | string | number[]>,
): BoundArgs {
  const toValue = (v: number | boolean | string | number[]): SpecValue => {
    if (typeof v === 'number') return { t: 'num', v, int: Number.isInteger(v) };
    if (typeof v === 'boolean') return { t: 'bool', v };
    if (typeof v === 'string') return { t: 'str', v };
    return { t: 'list', items: v.map((x) => toValue(x)) };
  };
  const values = new Map<string, SpecValue>();
  for (const spec of specs) {
    const v = given[spec.name];
    if (v !== undefined) values.set(spec.name, toValue(v));
    else if (spec.default) values.set(spec.name, spec.default);
    else throw new Error(`bindValues: no value for required argument '${spec.name}'`);
  }
  for (const name of Object.keys(given)) {
    if (!specs.some((s) => s.name === name))
      throw new Error(`bindValues: unknown argument '${name}'`);
  }
  return { values, spans: new Map() };
}
