// A trial's train block: the sweep's train block with this trial's values written in, as if the
// user had written them there, so the trial is checked (and built) like any recipe. Whole
// settings are replaced first, then options and arguments of the settings' (new) calls.
import type {
  Argument,
  CallExpr,
  Expr,
  Identifier,
  TrainDecl,
  TrainStatement,
} from '../../grammar/index.js';
import type { Declarations } from './recipe.js';
import type { SweepTarget } from './sweep-keys.js';
import { calleeArgs, calleeOf, EARLY_STOP } from './sweep-keys.js';

export interface Change {
  key: Identifier;
  target: SweepTarget;
  value: Expr;
}

export function trialDecl(
  base: TrainDecl,
  changes: Change[],
  declarations: Declarations,
): TrainDecl {
  let body = base.body;
  for (const change of changes.filter((c) => c.target.kind === 'setting'))
    body = withSetting(body, change);
  for (const change of changes.filter((c) => c.target.kind !== 'setting'))
    body = body.map((s) => withPart(s, change, declarations));
  return { ...base, body };
}

function withSetting(body: TrainStatement[], change: Change): TrainStatement[] {
  const { setting } = change.target;
  const at = body.findIndex((s) => s.kind === 'Assignment' && s.target.name === setting);
  if (at < 0) {
    const target: Identifier = { kind: 'Identifier', name: setting, span: change.key.span };
    const added = { kind: 'Assignment' as const, target, value: change.value, options: [] };
    return [...body, { ...added, span: change.key.span }];
  }
  return body.map((s, i) =>
    i === at && s.kind === 'Assignment' ? { ...s, value: change.value } : s,
  );
}

/** The statement with the change's option or argument set, when it is the one changed. */
function withPart(s: TrainStatement, change: Change, declarations: Declarations): TrainStatement {
  const { target } = change;
  if (target.kind === 'setting') return s;
  if (target.setting === EARLY_STOP) {
    if (s.kind !== 'CallStatement' || s.call.callee.name !== EARLY_STOP) return s;
    return { ...s, call: withArgument(s.call, change, declarations) };
  }
  if (s.kind !== 'Assignment' || s.target.name !== target.setting) return s;
  if (target.kind === 'option') return { ...s, options: setArgument(s.options, [], change) };
  const call = asCall(s.value);
  return call ? { ...s, value: withArgument(call, change, declarations) } : s;
}

function asCall(value: Expr): CallExpr | undefined {
  if (value.kind === 'Call') return value;
  if (value.kind !== 'Name') return undefined;
  const callee: Identifier = { kind: 'Identifier', name: value.name, span: value.span };
  return { kind: 'Call', callee, args: [], span: value.span };
}

function withArgument(call: CallExpr, change: Change, declarations: Declarations): CallExpr {
  const specs = calleeArgs(change.target.setting, calleeOf(call)!, declarations) ?? [];
  return {
    ...call,
    args: setArgument(
      call.args,
      specs.map((s) => s.name),
      change,
    ),
  };
}

/**
 * The arguments with `change`'s one set: where it is written by name, or by position (the
 * `positions` name each positional slot), else added by name.
 */
function setArgument(args: Argument[], positions: string[], change: Change): Argument[] {
  const { target, value } = change;
  const name = target.kind === 'setting' ? target.setting : target.name;
  const at = args.findIndex((a, i) => (a.name ? a.name.name === name : positions[i] === name));
  if (at >= 0) return args.map((a, i) => (i === at ? { ...a, value } : a));
  const id: Identifier = { kind: 'Identifier', name, span: change.key.span };
  return [...args, { kind: 'Argument', name: id, value, span: value.span }];
}
