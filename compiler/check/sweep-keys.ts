// What a sweep key names in its train block: a setting (`seed`, `optimizer`), an option of one
// (`data.batch`, `schedule.warmup`), or an argument of the call a setting holds (`optimizer.lr`,
// `model.hidden`, `early_stop.patience`). Arguments are looked up in the registry of every callee
// the trials can have: the train block's, and each choice the sweep gives for that setting.
import type { Diagnostic, Expr, Identifier, TrainDecl } from '../../grammar/index.js';
import { diagnostic } from '../../grammar/index.js';
import { CODES } from '../codes.js';
import { INITIALIZERS } from '../initializers.js';
import { LOSSES } from '../losses.js';
import { OPTIMIZERS } from '../optim/registry.js';
import { SCHEDULES } from '../schedules.js';
import { didYouMean } from './names.js';
import type { Declarations } from './recipe.js';
import { DATA_OPTIONS, NUMBER_SETTINGS, TRAIN_SETTINGS } from './recipe.js';
import { CLIPS, DECAY_OPTIONS, SAM_ARGS, WEIGHT_DECAY } from './regularization.js';
import { EARLY_STOP_ARGS, WARMUP } from './run-control.js';
import type { ArgSpec } from '../vocabulary/args.js';

export type SweepTarget =
  /** A whole setting; `spec` when its value is one number (`epochs`, `seed`, `weight_decay`). */
  | { kind: 'setting'; setting: string; spec?: ArgSpec }
  /** `data.batch`: an option written after the setting's value. */
  | { kind: 'option'; setting: string; name: string; spec: ArgSpec }
  /**
   * `optimizer.lr`: an argument of the setting's call (`early_stop` is a statement's call);
   * `owner` is the callee messages name (`SGD`).
   */
  | { kind: 'argument'; setting: string; name: string; spec: ArgSpec; owner: string };

/** The `early_stop(…)` statement's arguments can be swept like a setting's. */
export const EARLY_STOP = 'early_stop';

const OPTIONS: Record<string, ArgSpec[]> = {
  data: DATA_OPTIONS,
  schedule: WARMUP,
  weight_decay: DECAY_OPTIONS,
};

/** The argument list of each callee a call-valued setting may hold (networks: their parameters). */
export function calleeArgs(
  setting: string,
  callee: string,
  declarations: Pick<Declarations, 'networks'>,
): ArgSpec[] | undefined {
  switch (setting) {
    case 'optimizer':
      return OPTIMIZERS.get(callee)?.args;
    case 'loss':
      return LOSSES.get(callee)?.args;
    case 'schedule':
      return SCHEDULES.get(callee)?.args;
    case 'init':
      return INITIALIZERS.get(callee)?.args;
    case 'clip':
      return CLIPS[callee];
    case 'sharpness':
      return callee === 'sam' ? SAM_ARGS : undefined;
    case EARLY_STOP:
      return callee === EARLY_STOP ? EARLY_STOP_ARGS : undefined;
    case 'model': {
      const params = declarations.networks.get(callee)?.decl.params;
      return params?.map((p) => ({ name: p.name.name, type: 'any', doc: 'network parameter' }));
    }
  }
  return undefined;
}

/** A whole setting's value alone, for settings that are one number. */
function settingSpec(setting: string): ArgSpec | undefined {
  return NUMBER_SETTINGS.get(setting) ?? (setting === 'weight_decay' ? WEIGHT_DECAY : undefined);
}

/** The callee of `Name(…)` or a bare `Name`. */
export function calleeOf(value: Expr): string | undefined {
  if (value.kind === 'Call') return value.callee.name;
  return value.kind === 'Name' ? value.name : undefined;
}

/** The call the train block writes for `setting` (`early_stop`: its statement), if any. */
export function baseCall(base: TrainDecl, setting: string): Expr | undefined {
  for (const s of base.body) {
    if (setting === EARLY_STOP && s.kind === 'CallStatement' && s.call.callee.name === EARLY_STOP)
      return s.call;
    if (s.kind === 'Assignment' && s.target.name === setting) return s.value;
  }
  return undefined;
}

/**
 * Every key a sweep over `base` can name, with what it is (for the language server): the train
 * settings, their options, and the arguments of each call `base` writes.
 */
export function sweepKeys(
  base: TrainDecl,
  declarations: Pick<Declarations, 'networks'>,
): { key: string; doc: string }[] {
  const keys = [...TRAIN_SETTINGS].map(([key, info]) => ({ key, doc: info.doc }));
  for (const [setting, options] of Object.entries(OPTIONS))
    keys.push(...options.map((o) => ({ key: `${setting}.${o.name}`, doc: o.doc })));
  for (const setting of [...TRAIN_SETTINGS.keys(), EARLY_STOP]) {
    const value = baseCall(base, setting);
    const callee = value && calleeOf(value);
    const args = callee ? calleeArgs(setting, callee, declarations) : undefined;
    keys.push(
      ...(args ?? []).map((a) => ({ key: `${setting}.${a.name}`, doc: `${callee}: ${a.doc}` })),
    );
  }
  return keys;
}

export class KeyResolver {
  constructor(
    private base: TrainDecl,
    /** The values a sweep gives whole settings (`optimizer = [SGD(…), Adam(…)]`), by setting. */
    private choices: ReadonlyMap<string, Expr[]>,
    private declarations: Declarations,
    private file: string,
    private diags: Diagnostic[],
  ) {}

  resolve(key: Identifier): SweepTarget | undefined {
    const parts = key.name.split('.');
    const [setting, name] = parts;
    const known = [...TRAIN_SETTINGS.keys(), EARLY_STOP];
    if (!known.includes(setting)) {
      const message = `a train block has no setting '${setting}'${didYouMean(setting, known)}`;
      return this.fail(CODES.unknownSetting, message, key);
    }
    if (parts.length > 2) {
      const message = `a sweep key is a setting or setting.argument, not '${key.name}'`;
      return this.fail(CODES.unknownSetting, message, key);
    }
    if (name === undefined) {
      if (setting === EARLY_STOP) {
        const message =
          "early_stop is a statement: sweep its arguments, e.g. 'early_stop.patience'";
        return this.fail(CODES.unknownSetting, message, key);
      }
      return { kind: 'setting', setting, spec: settingSpec(setting) };
    }
    const option = OPTIONS[setting]?.find((o) => o.name === name);
    if (option && !baseCall(this.base, setting) && !this.choices.has(setting))
      return this.missing(key, setting, name);
    if (option) return { kind: 'option', setting, name, spec: option };
    return this.argument(key, setting, name);
  }

  /** `setting.name`: an argument of every callee the setting can hold in the trials. */
  private argument(key: Identifier, setting: string, name: string): SweepTarget | undefined {
    const base = baseCall(this.base, setting);
    const values = this.choices.get(setting) ?? (base ? [base] : []);
    const callees = values.map(calleeOf).filter((c): c is string => c !== undefined);
    const lists = callees.map((c) => [c, calleeArgs(setting, c, this.declarations)] as const);
    if (lists.length === 0 || lists.every(([, args]) => args === undefined)) {
      const what = OPTIONS[setting] ? 'option' : 'argument';
      const options = OPTIONS[setting]?.map((o) => o.name) ?? [];
      if (!base && !this.choices.has(setting)) return this.missing(key, setting, name);
      const message = `'${setting}' has no ${what} '${name}'${didYouMean(name, options)}`;
      return this.fail(CODES.unknownArgument, message, key);
    }
    let found: { spec: ArgSpec; owner: string } | undefined;
    for (const [callee, args] of lists) {
      // Unknown callees are reported where they are written, by the setting's own check.
      if (args === undefined) continue;
      const spec = args.find((a) => a.name === name);
      if (!spec) {
        const names = [...args.map((a) => a.name), ...(OPTIONS[setting] ?? []).map((o) => o.name)];
        const message = `${callee} has no argument '${name}'${didYouMean(name, names)}`;
        return this.fail(CODES.unknownArgument, message, key);
      }
      found ??= { spec, owner: callee };
    }
    return found && { kind: 'argument', setting, name, ...found };
  }

  /** `schedule.gamma` where no trial has a schedule. */
  private missing(key: Identifier, setting: string, name: string): undefined {
    const message = `train '${this.base.name.name}' has no '${setting}' whose '${name}' to change; set '${setting}' in the train block or the sweep`;
    return this.fail(CODES.missingSetting, message, key);
  }

  private fail(code: string, message: string, at: Identifier): undefined {
    this.diags.push(diagnostic(code, message, this.file, at.span));
    return undefined;
  }
}
