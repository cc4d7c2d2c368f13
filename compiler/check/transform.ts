// Checks a `transform` declaration: each step names a registry transform, its arguments bind
// to torchvision's argument list, and every argument has one of the forms torchvision accepts.
// The checked step holds normalized plain values (e.g. padding always [left, top, right, bottom]).
import type { Diagnostic, Expr, TransformDecl } from '../../grammar/index.js';
import { diagnostic } from '../../grammar/index.js';
import { CODES } from '../codes.js';
import { TRANSFORMS } from '../transforms.js';
import { bindArgs } from './args.js';
import { didYouMean } from './names.js';
import type { TransformSpec, TransformStep } from '../vocabulary/model.js';
import type { SpecValue } from '../vocabulary/values.js';
import { describe } from '../vocabulary/values.js';

type Plain = TransformStep['args'][string];
/** Turns a bound value into its plain form, or returns a problem (a string starting "must"). */
type Form = (v: SpecValue) => Plain | { problem: string };

const isNone = (v: SpecValue) => v.t === 'name' && v.name === 'None';
const numbers = (v: SpecValue): number[] | undefined =>
  v.t === 'num'
    ? [v.v]
    : v.t === 'list' && v.items.every((i) => i.t === 'num')
      ? v.items.map((i) => (i.t === 'num' ? i.v : 0))
      : undefined;
const bad = (what: string, v: SpecValue) => ({ problem: `must be ${what}, found ${describe(v)}` });

/** A number `d` means the range [center - d, center + d] (clipped below at `floor`); a pair is a range. */
function range(center: number, floor: number, what: string): Form {
  return (v) => {
    const n = numbers(v);
    if (n?.length === 1 && n[0] >= 0) return [Math.max(floor, center - n[0]), center + n[0]];
    if (n?.length === 2 && n[0] <= n[1] && n[0] >= floor) return n;
    return bad(what, v);
  };
}

const FORMS: Record<string, Form> = {
  size: (v) => {
    const n = numbers(v);
    const ok =
      n && (n.length === 1 || n.length === 2) && n.every((x) => Number.isInteger(x) && x > 0);
    return ok ? n : bad('a positive integer or [height, width]', v);
  },
  padding: (v) => {
    if (isNone(v)) return null;
    const n = numbers(v);
    if (!n || !n.every((x) => Number.isInteger(x) && x >= 0) || n.length === 3 || n.length > 4)
      return bad('None, an integer, [left/right, top/bottom] or [left, top, right, bottom]', v);
    return n.length === 1
      ? [n[0], n[0], n[0], n[0]]
      : n.length === 2
        ? [n[0], n[1], n[0], n[1]]
        : n;
  },
  fill: (v) => numbers(v) ?? bad('a number or a list of numbers (one per channel)', v),
  padding_mode: (v) =>
    v.t === 'str' && ['constant', 'edge', 'reflect', 'symmetric'].includes(v.v)
      ? v.v
      : bad('"constant", "edge", "reflect" or "symmetric"', v),
  degrees: (v) => {
    const n = numbers(v);
    if (n?.length === 1 && n[0] >= 0) return [-n[0], n[0]];
    if (n?.length === 2 && n[0] <= n[1]) return n;
    return bad('a non-negative number or [min, max]', v);
  },
  translate: (v) => {
    if (isNone(v)) return null;
    const n = numbers(v);
    return n?.length === 2 && n.every((x) => x >= 0 && x <= 1) ? n : bad('[a, b] in [0, 1]', v);
  },
  scale: (v) => {
    if (isNone(v)) return null;
    const n = numbers(v);
    return n?.length === 2 && n[0] > 0 && n[0] <= n[1]
      ? n
      : bad('[min, max] with 0 < min ≤ max', v);
  },
  shear: (v) => {
    if (isNone(v)) return null;
    const n = numbers(v);
    if (n?.length === 1 && n[0] >= 0) return [-n[0], n[0], 0, 0];
    if (n?.length === 2) return [n[0], n[1], 0, 0];
    if (n?.length === 4) return n;
    return bad('a non-negative number, [min, max] or [xmin, xmax, ymin, ymax]', v);
  },
  brightness: range(1, 0, 'a non-negative number or [min, max] with 0 ≤ min ≤ max'),
  contrast: range(1, 0, 'a non-negative number or [min, max] with 0 ≤ min ≤ max'),
  saturation: range(1, 0, 'a non-negative number or [min, max] with 0 ≤ min ≤ max'),
  hue: (v) => {
    const n = numbers(v);
    if (n?.length === 1 && n[0] >= 0 && n[0] <= 0.5) return [-n[0], n[0]];
    if (n?.length === 2 && -0.5 <= n[0] && n[0] <= n[1] && n[1] <= 0.5) return n;
    return bad('a number in [0, 0.5] or [min, max] within [-0.5, 0.5]', v);
  },
  mean: (v) => (v.t === 'auto' ? 'auto' : (numbers(v) ?? bad('`auto`, a number or a list', v))),
  std: (v) => {
    if (v.t === 'auto') return 'auto';
    const n = numbers(v);
    return n && n.every((x) => x > 0) ? n : bad('`auto`, a positive number or a list of them', v);
  },
  p: (v) => (v.t === 'num' && v.v >= 0 && v.v <= 1 ? v.v : bad('a probability in [0, 1]', v)),
  interpolation: (v) => (v.t === 'str' && v.v === 'nearest' ? v.v : bad('"nearest"', v)),
  expand: (v) => (v.t === 'bool' && !v.v ? false : bad('false', v)),
  center: (v) => (isNone(v) ? null : bad('None (the image center)', v)),
  num_output_channels: (v) => (v.t === 'num' && (v.v === 1 || v.v === 3) ? v.v : bad('1 or 3', v)),
  inplace: (v) => (v.t === 'bool' ? v.v : bad('true or false', v)),
  pad_if_needed: (v) => (v.t === 'bool' ? v.v : bad('true or false', v)),
};

export function checkTransform(
  decl: TransformDecl,
  file: string,
  diags: Diagnostic[],
): TransformSpec | undefined {
  const before = diags.length;
  const steps = decl.steps.map((step) => checkStep(step, file, diags));
  if (diags.length > before) return undefined;
  return { name: decl.name.name, steps: steps as TransformStep[] };
}

function checkStep(expr: Expr, file: string, diags: Diagnostic[]): TransformStep | undefined {
  const call =
    expr.kind === 'Call'
      ? { name: expr.callee.name, span: expr.callee.span, args: expr.args }
      : expr.kind === 'Name'
        ? { name: expr.name, span: expr.span, args: [] }
        : undefined;
  if (!call) {
    const message = 'a transform step must be a transform such as RandomCrop(28, padding: 4)';
    diags.push(diagnostic(CODES.argumentType, message, file, expr.span));
    return undefined;
  }
  const def = TRANSFORMS.get(call.name);
  if (!def) {
    const message = `unknown transform '${call.name}'${didYouMean(call.name, TRANSFORMS.keys())}`;
    diags.push(diagnostic(CODES.unknownName, message, file, call.span));
    return undefined;
  }
  const ctx = { what: def.name, file, span: expr.span, constants: new Map() };
  const bound = bindArgs(call.args, def.args, ctx, diags);
  if (!bound) return undefined;
  const args: TransformStep['args'] = {};
  let wellFormed = true;
  for (const [name, value] of bound.values) {
    const form = FORMS[name] as Form | undefined;
    if (!form) throw new Error(`transform argument '${name}' has no form in FORMS`);
    const plain = form(value);
    if (plain !== null && typeof plain === 'object' && 'problem' in plain) {
      wellFormed = false;
      const span = bound.spans.get(name) ?? expr.span;
      diags.push(
        diagnostic(CODES.argumentType, `${def.name}: '${name}' ${plain.problem}`, file, span),
      );
    } else args[name] = plain;
  }
  if (!wellFormed) return undefined;
  return { name: def.name, args, trainOnly: def.trainOnly, span: expr.span };
}
