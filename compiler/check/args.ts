// Binds the arguments of a call (`Linear(784, 256, bias: false)`) to the argument list of a
// registry entry: positional then named, like Python, with types, defaults and ranges checked.
// Every registry (layers, optimizers, data sources) describes its arguments with `ArgSpec`.
import type { Argument, Diagnostic, Span } from '../../grammar/index.js';
import { diagnostic } from '../../grammar/index.js';
import { CODES } from '../codes.js';
import { didYouMean } from './names.js';
import { EvalError, evaluate } from './values.js';
import type { Constants, SpecValue } from '../vocabulary/values.js';
import { describe } from '../vocabulary/values.js';
import type { ArgSpec, ArgType, BoundArgs } from '../vocabulary/args.js';

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
): BoundArgs | undefined {
  const bound: BoundArgs = { values: new Map(), spans: new Map() };
  const problems: Diagnostic[] = [];
  args.forEach((arg, position) => {
    const spec = arg.name ? specs.find((s) => s.name === arg.name!.name) : specs[position];
    if (!spec) {
      problems.push(unknownArgument(arg, position, specs, ctx));
      return;
    }
    if (bound.values.has(spec.name)) {
      const message = `${ctx.what}: argument '${spec.name}' is given twice`;
      problems.push(diagnostic(CODES.argumentTwice, message, ctx.file, arg.span));
      return;
    }
    const value = evaluateArg(arg, spec, ctx, problems);
    if (value) {
      bound.values.set(spec.name, value);
      bound.spans.set(spec.name, arg.value.span);
    }
  });
  if (problems.length === 0) problems.push(...missingArguments(bound, specs, ctx));
  diags.push(...problems);
  return problems.length > 0 ? undefined : bound;
}

/** Fills in defaults; the problems are the arguments with none that were not given. */
function missingArguments(bound: BoundArgs, specs: readonly ArgSpec[], ctx: BindContext) {
  const problems: Diagnostic[] = [];
  for (const spec of specs) {
    if (bound.values.has(spec.name)) continue;
    if (spec.default) bound.values.set(spec.name, spec.default);
    else {
      const message = `${ctx.what}: missing argument '${spec.name}' (${spec.doc})`;
      problems.push(diagnostic(CODES.missingArgument, message, ctx.file, ctx.span));
    }
  }
  return problems;
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

/** One argument's value, evaluated and checked against its spec; undefined after reporting. */
export function evaluateArg(
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
