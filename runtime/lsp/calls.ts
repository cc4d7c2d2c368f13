// What a call at the cursor calls, with its argument list: a registry entry chosen by where
// the call is (`SGD(` after `optimizer =`, `Conv2d(` in a network), or a network or block
// declared in the spec or its imports (its parameters are its arguments).
import type { ArgSpec, Callee } from '../../compiler/index.js';
import {
  CALLEES,
  calleeNamed,
  datasetSettingValue,
  groupCallee,
  trainSettingValue,
} from '../../compiler/index.js';
import type { Declaration, Expr } from '../../grammar/index.js';
import type { Analysis } from './analysis.js';
import { declarationNamed } from './analysis.js';
import type { CursorContext } from './context.js';

type ArgumentsContext = Extract<CursorContext, { kind: 'arguments' }>;

export function calleeOf(analysis: Analysis, ctx: ArgumentsContext): Callee | undefined {
  const name = ctx.callee;
  const among = (list: readonly Callee[]) => list.find((c) => c.name === name);
  switch (ctx.block) {
    case 'network':
    case 'block':
      return among(CALLEES.layers) ?? among(CALLEES.concat) ?? declaredCallee(analysis, name);
    case 'transform':
      return among(CALLEES.transforms);
    case 'dataset':
      return among(datasetSettingValue(ctx.setting ?? 'validation')?.callees ?? []);
    case 'onnx':
      return among(CALLEES.onnx) ?? among(CALLEES.layers);
    case 'sweep':
      return (
        among(CALLEES.ranges) ??
        among(trainSettingValue(ctx.setting?.split('.')[0] ?? '')?.callees ?? []) ??
        calleeNamed(name)
      );
    case 'train':
      if (name === 'group') return groupCallee(optimizerArgs(analysis, ctx.declaration));
      if (ctx.setting === 'model') return declaredCallee(analysis, name);
      return (
        among(trainSettingValue(ctx.setting ?? '')?.callees ?? []) ??
        among(CALLEES.earlyStop) ??
        calleeNamed(name)
      );
  }
}

/** The arguments of the optimizer a train block sets, for `group(…)`. */
export function optimizerArgs(analysis: Analysis, train: string): readonly ArgSpec[] | undefined {
  const decl = analysis.parsed.ast.declarations.find((d) => d.name.name === train);
  if (decl?.kind !== 'Train') return undefined;
  const setting = decl.body.find((s) => s.kind === 'Assignment' && s.target.name === 'optimizer');
  const value = setting?.kind === 'Assignment' ? setting.value : undefined;
  const name =
    value?.kind === 'Call' ? value.callee.name : value?.kind === 'Name' ? value.name : '';
  return CALLEES.optimizers.find((o) => o.name === name)?.args;
}

/** A network or block of the spec as a callee: its parameters, with their defaults as written. */
export function declaredCallee(analysis: Analysis, name: string): Callee | undefined {
  const found = declarationNamed(analysis, name);
  const decl: Declaration | undefined = found?.decl;
  if (decl?.kind !== 'Network' && decl?.kind !== 'Block') return undefined;
  const source = analysis.checked?.sources.get(found!.file) ?? analysis.text;
  const args: ArgSpec[] = decl.params.map((p) => ({
    name: p.name.name,
    type: 'any',
    doc: `parameter of ${decl.kind === 'Block' ? 'block' : 'network'} ${name}`,
    ...(p.default ? { default: { t: 'name', name: written(p.default, source) } as const } : {}),
  }));
  const what = decl.kind === 'Block' ? 'block' : 'network';
  return { name, doc: `${what} declared in the spec`, args, what };
}

function written(expr: Expr, source: string): string {
  return source.slice(expr.span.start.offset, expr.span.end.offset);
}
