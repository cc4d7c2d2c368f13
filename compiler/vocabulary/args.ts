// Arguments as every registry describes them (`ArgSpec`: torch's names, types, defaults and
// ranges) and as the checker hands them on once bound (`BoundArgs`), with typed reads.
import type { Span } from '../../grammar/index.js';
import type { SpecValue } from './values.js';

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

// Typed reads of bound arguments (their types were checked when they were bound).

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
