// Checks the train-block settings that change what the train step computes around the
// optimizer: `weight_decay` (an L2 penalty in the loss), `clip`, `sharpness` (SAM), `monitor`
// and `init`. Each binds its arguments like a call, so mistakes are diagnostics with spans.
import type { Assignment, Diagnostic, Expr } from '../../grammar/index.js';
import { diagnostic } from '../../grammar/index.js';
import { CODES } from '../codes.js';
import { INITIALIZERS } from '../initializers.js';
import { bindArgs } from './args.js';
import { didYouMean } from './names.js';
import type { InitChoice } from '../vocabulary/model.js';
import type { ArgSpec } from '../vocabulary/args.js';
import { numberArg } from '../vocabulary/args.js';
import type { SpecValue } from '../vocabulary/values.js';
import { num } from '../vocabulary/values.js';
import type { ParamGroup, Regularization } from '../vocabulary/model.js';

export const REGULARIZATION_SETTINGS: [string, { doc: string; required: boolean }][] = [
  [
    'weight_decay',
    {
      doc: 'L2 penalty λ‖θ‖² in the loss (gradient +2λθ), e.g. weight_decay = 5e-4, exclude: ["bias", "norm"]',
      required: false,
    },
  ],
  ['clip', { doc: 'gradient clipping: grad_norm(1.0) or grad_value(0.5)', required: false }],
  ['sharpness', { doc: 'sharpness-aware minimization: sam(rho: 0.05)', required: false }],
  [
    'monitor',
    {
      doc: 'train-step statistics to log: [grad_norm, param_norm, grad_variance]',
      required: false,
    },
  ],
  [
    'groups',
    {
      doc: 'per-parameter optimizer arguments: [group("linear1.*", lr: 0.1), group("*.bias", weight_decay: 0)]',
      required: false,
    },
  ],
  ['init', { doc: 'weight initialization: glorot, he, normal(std: 0.01), lsuv…', required: false }],
];

export const CLIPS: Record<string, ArgSpec[]> = {
  grad_norm: [{ name: 'max_norm', type: 'number', doc: 'largest global gradient norm', above: 0 }],
  grad_value: [{ name: 'clip_value', type: 'number', doc: 'largest |gradient|', above: 0 }],
};
/** What each kind of clipping does (editors show it). */
export const CLIP_DOCS: Record<string, string> = {
  grad_norm:
    'scale the gradient so that its global norm is at most max_norm (torch.nn.utils.clip_grad_norm_)',
  grad_value:
    'clamp every gradient value to [-clip_value, clip_value] (torch.nn.utils.clip_grad_value_)',
};
export const SAM_ARGS: ArgSpec[] = [
  { name: 'rho', type: 'number', default: num(0.05), doc: 'neighbourhood radius ρ', above: 0 },
];
export const SAM_DOC = 'sharpness-aware minimization: the update uses the gradient at θ + ρ·g/‖g‖';
export const DECAY_OPTIONS: ArgSpec[] = [
  { name: 'exclude', type: 'any', default: { t: 'list', items: [] }, doc: 'path words to skip' },
];
/** `weight_decay = λ`: its value alone. */
export const WEIGHT_DECAY: ArgSpec = { name: 'weight_decay', type: 'number', doc: 'λ', min: 0 };
// grad_norm and param_norm are always output (cheap); grad_variance costs about one more step.
export const MONITORS = ['grad_norm', 'param_norm', 'grad_variance'];

/**
 * The arguments of `group("pattern", …)`: the pattern, then every optimizer argument, each
 * optional (a default marks it so; the spans say which were written).
 */
export function groupArgs(optimizerArgs: readonly ArgSpec[]): ArgSpec[] {
  const pattern: ArgSpec = { name: 'pattern', type: 'string', doc: 'glob over parameter paths' };
  return [pattern, ...optimizerArgs.map((a) => ({ ...a, default: a.default ?? num(0) }))];
}

type Get = (key: string) => Assignment | undefined;

export function checkRegularization(
  get: Get,
  file: string,
  diags: Diagnostic[],
  optimizerArgs: ArgSpec[] | undefined,
): { regularization: Regularization; init?: InitChoice } | undefined {
  const before = diags.length;
  const c = new Checker(file, diags);
  const regularization: Regularization = {
    weightDecay: c.weightDecay(get('weight_decay')),
    clip: c.clip(get('clip')),
    sam: c.sam(get('sharpness')),
    monitor: c.monitor(get('monitor')),
    groups: optimizerArgs ? c.groups(get('groups'), optimizerArgs) : [],
  };
  const init = c.init(get('init'));
  return diags.length > before ? undefined : { regularization, init };
}

class Checker {
  constructor(
    private file: string,
    private diags: Diagnostic[],
  ) {}

  weightDecay(setting: Assignment | undefined) {
    if (!setting) return undefined;
    const value = this.bind(setting, [{ ...arg(setting.value) }], [WEIGHT_DECAY]);
    const options = this.bind(setting, setting.options, DECAY_OPTIONS);
    if (!value || !options) return undefined;
    const exclude = strings(options.values.get('exclude')!);
    if (!exclude) return this.fail(setting, "'exclude' must be a list of strings");
    return { lambda: numberArg(value, 'weight_decay'), exclude };
  }

  clip(setting: Assignment | undefined): Regularization['clip'] {
    const call = setting && this.call(setting, CLIPS, 'clip');
    if (!call) return undefined;
    const [name, bound] = call;
    if (name === 'grad_norm') return { kind: name, max: numberArg(bound, 'max_norm') };
    return { kind: 'grad_value', value: numberArg(bound, 'clip_value') };
  }

  sam(setting: Assignment | undefined) {
    const call = setting && this.call(setting, { sam: SAM_ARGS }, 'sharpness');
    return call && { rho: numberArg(call[1], 'rho') };
  }

  monitor(setting: Assignment | undefined): string[] {
    if (!setting) return [];
    const value = setting.value;
    const items = value.kind === 'List' ? value.items : [value];
    const names: string[] = [];
    for (const item of items) {
      const name = item.kind === 'Name' ? item.name : '?';
      if (!MONITORS.includes(name)) {
        const hint = didYouMean(name, MONITORS);
        this.fail(item, `unknown monitor '${name}'${hint} (known: ${MONITORS.join(', ')})`);
      } else names.push(name);
    }
    return names;
  }

  groups(setting: Assignment | undefined, optimizerArgs: ArgSpec[]): ParamGroup[] {
    if (!setting) return [];
    const items = setting.value.kind === 'List' ? setting.value.items : [setting.value];
    const specs = groupArgs(optimizerArgs);
    const groups: ParamGroup[] = [];
    for (const item of items) {
      if (item.kind !== 'Call' || item.callee.name !== 'group') {
        this.fail(item, 'groups must be a list of group("pattern", <optimizer arguments>)');
        continue;
      }
      const bound = this.bind(setting, item.args, specs);
      if (!bound) continue;
      const overrides = new Map(
        [...bound.spans.keys()]
          .filter((k) => k !== 'pattern')
          .map((k) => [k, bound.values.get(k)!]),
      );
      const pattern = bound.values.get('pattern')!;
      if (pattern.t === 'str') groups.push({ pattern: pattern.v, overrides });
    }
    return groups;
  }

  init(setting: Assignment | undefined): InitChoice | undefined {
    const registry = Object.fromEntries([...INITIALIZERS].map(([k, v]) => [k, v.args]));
    const call = setting && this.call(setting, registry, 'init');
    if (!call) return undefined;
    const def = INITIALIZERS.get(call[0])!;
    return { name: def.name, args: call[1] };
  }

  /** `name` or `name(args)` from a table of argument lists: the name and bound arguments. */
  private call(setting: Assignment, table: Record<string, ArgSpec[]>, what: string) {
    const v = setting.value;
    const name = v.kind === 'Call' ? v.callee.name : v.kind === 'Name' ? v.name : '?';
    const specs = table[name];
    if (!specs) {
      const known = Object.keys(table);
      const message = `unknown ${what} '${name}'${didYouMean(name, known)} (known: ${known.join(', ')})`;
      return this.fail(setting.value, message, CODES.unknownName);
    }
    const args = v.kind === 'Call' ? v.args : [];
    const bound = this.bind(setting, args, specs);
    return bound && ([name, bound] as const);
  }

  private bind(setting: Assignment, args: Assignment['options'], specs: ArgSpec[]) {
    const ctx = { what: setting.target.name, file: this.file, span: setting.span };
    return bindArgs(args, specs, { ...ctx, constants: new Map() }, this.diags);
  }

  private fail(node: { span: Expr['span'] }, message: string, code: string = CODES.argumentType) {
    this.diags.push(diagnostic(code, message, this.file, node.span));
    return undefined;
  }
}

function arg(value: Expr) {
  return { kind: 'Argument' as const, name: null, value, span: value.span };
}

function strings(value: SpecValue): string[] | undefined {
  if (value.t === 'str') return [value.v];
  if (value.t !== 'list') return undefined;
  const out = value.items.map((item) => (item.t === 'str' ? item.v : undefined));
  return out.every((s) => s !== undefined) ? (out as string[]) : undefined;
}

/** The first group whose glob pattern matches the parameter path, if any. */
export function groupOf(groups: readonly ParamGroup[], path: string): ParamGroup | undefined {
  return groups.find((g) => globRegExp(g.pattern).test(path));
}

function globRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${escaped.replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
}
