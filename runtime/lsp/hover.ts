// Hover: what a name is. A layer in a chain shows its shapes, parameters and FLOPs; any other
// registry entry (loss, optimizer, schedule, transform, data source …) its doc and arguments; an
// argument name its doc and default; a setting its doc; a declared name its declaration (and a
// network its output shape and size); a module of an imported network its layer and shapes.
import type { Hover } from 'vscode-languageserver';
import type { ArgSpec, Callee } from '../../compiler/index.js';
import { moduleMatches } from '../../compiler/index.js';
import type { Analysis } from './analysis.js';
import { DECLARATION_WORDS } from './analysis.js';
import {
  checkedModels,
  count,
  layerFacts,
  layersAt,
  parameterCount,
  showShape,
  signature,
  showValue,
} from './layers.js';
import { toRange } from './positions.js';
import { roleAt, type DeclRef, type Role } from './roles.js';
import { keysOfSweep } from './sweeps.js';
import { current, rolesIn } from './symbols.js';

export function hover(analysis: Analysis, offset: number): Hover | null {
  const role = roleAt(rolesIn(analysis), offset);
  if (role === undefined) return null;
  const value = describe(analysis, role, offset);
  return value ? { contents: { kind: 'markdown', value }, range: toRange(role.span) } : null;
}

function describe(analysis: Analysis, role: Role, offset: number): string | undefined {
  switch (role.kind) {
    case 'callee': {
      const layers = role.callee.what === 'layer' ? layersAt(analysis, offset) : [];
      return [calleeText(role.callee), ...layerFacts(layers)].join('\n\n');
    }
    case 'argument':
      return `\`${role.arg.name}\` — ${role.arg.doc} (${argumentDetail(role.arg)}; of ${role.callee.name})`;
    case 'setting':
      if (role.block === 'sweep') return sweepKeyText(analysis, role.word.name, offset);
      return `\`${role.word.name}\` — ${role.word.doc} (${role.block} setting)`;
    case 'quantity':
      return `\`${role.word.name}\` — ${role.word.doc}`;
    case 'declaration':
    case 'reference':
      return declarationText(analysis, current(analysis, role.target));
    case 'local':
      return `${role.what} \`${role.name}\` of ${DECLARATION_WORDS[role.owner.kind]} ${role.owner.name}`;
    case 'module':
      return moduleText(analysis, role.network, role.path);
  }
}

/** A sweep key: what it changes in the train block the sweep is over. */
function sweepKeyText(analysis: Analysis, key: string, offset: number): string {
  const sweep = analysis.parsed.ast.declarations.find(
    (d) => d.kind === 'Sweep' && d.span.start.offset <= offset && offset <= d.span.end.offset,
  );
  const found = sweep && keysOfSweep(analysis, sweep.name.name).find((k) => k.key === key);
  return found ? `\`${key}\` — ${found.doc} (sweep key)` : `\`${key}\` (sweep key)`;
}

/** `**SGD** (optimizer) — doc`, the signature, and one line per argument. */
export function calleeText(callee: Callee): string {
  const args = callee.args.map((a) => `- \`${a.name}\` — ${a.doc} (${argumentDetail(a)})`);
  return [
    `**${callee.name}** (${callee.what}) — ${callee.doc}`,
    '```netspec\n' + signature(callee) + '\n```',
    ...(args.length ? [args.join('\n')] : []),
  ].join('\n\n');
}

/** `default 0.9, at least 0` or `required`. */
export function argumentDetail(arg: ArgSpec): string {
  const parts = [arg.default ? `default ${showValue(arg.default)}` : 'required'];
  if (arg.min !== undefined) parts.push(`at least ${arg.min}`);
  if (arg.above !== undefined) parts.push(`above ${arg.above}`);
  if (arg.max !== undefined) parts.push(`at most ${arg.max}`);
  if (arg.below !== undefined) parts.push(`below ${arg.below}`);
  return parts.join(', ');
}

function declarationText(analysis: Analysis, target: DeclRef): string {
  const params = target.params.map((p) => p.name);
  const header = `${DECLARATION_WORDS[target.kind]} **${target.name}**${params.length ? `(${params.join(', ')})` : ''}`;
  const where = target.file === analysis.file ? [] : [`declared in \`${target.file}\``];
  const model = checkedModels(analysis).find((m) => m.name === target.name);
  if (model === undefined) return [header, ...where].join('\n\n');
  const layers = model.layers;
  const total = layers.reduce((n, l) => n + parameterCount(l), 0);
  const trainable = layers.filter((l) => !l.frozen).reduce((n, l) => n + parameterCount(l), 0);
  const frozen = trainable < total ? ` (${count(trainable)} trainable)` : '';
  const shapes = `${showShape(model.input.shape)} → **${showShape(model.outputShape)}**`;
  return [
    header,
    `${shapes}, ${layers.length} layers, ${count(total)} parameters${frozen}`,
    ...where,
  ].join('\n\n');
}

function moduleText(analysis: Analysis, network: string, pattern: string): string {
  const model = checkedModels(analysis).find((m) => m.name === network);
  const matched = (model?.layers ?? []).filter((n) => moduleMatches(pattern, n));
  if (matched.length === 0) return `module pattern \`${pattern}\` of ${network}`;
  const layers = matched;
  const total = layers.reduce((n, l) => n + parameterCount(l), 0);
  if (layers.length === 1) {
    const [l] = layers;
    return [`module \`${l.path}\` of ${network}: **${l.def.name}**`, ...layerFacts([l])].join(
      '\n\n',
    );
  }
  return `\`${pattern}\` matches ${layers.length} modules of ${network}, ${count(total)} parameters`;
}
