// Checks the parts of a train block that steer a run rather than build graphs: the schedule,
// `stop when …`, `early_stop(…)` and `checkpoint "dir" every N epochs`.
import type { Assignment, Diagnostic, Expr, Span, TrainStatement } from '../../grammar/index.js';
import { diagnostic } from '../../grammar/index.js';
import { CODES } from '../codes.js';
import { SCHEDULES } from '../schedules.js';
import { STOP_QUANTITIES, toStopCondition } from '../stopping.js';
import { bindArgs } from './args.js';
import { didYouMean } from './names.js';
import type { ArgSpec } from '../vocabulary/args.js';
import { boolArg, numberArg, stringArg } from '../vocabulary/args.js';
import { bool, int, num } from '../vocabulary/values.js';
import type { RunControl } from '../vocabulary/model.js';

export const EARLY_STOP_ARGS: ArgSpec[] = [
  {
    name: 'monitor',
    type: 'any',
    default: { t: 'name', name: 'val_loss' },
    doc: 'the metric to watch',
  },
  {
    name: 'patience',
    type: 'int',
    default: int(3),
    doc: 'epochs without improvement before stopping',
    min: 0,
  },
  {
    name: 'min_delta',
    type: 'number',
    default: num(0),
    doc: 'smallest change that counts as improvement',
    min: 0,
  },
  {
    name: 'mode',
    type: 'string',
    default: { t: 'str', v: 'min' },
    doc: '"min" (losses) or "max" (accuracies)',
  },
  {
    name: 'restore_best',
    type: 'bool',
    default: bool(true),
    doc: 'end with the best epoch’s weights',
  },
];

/** The schedule setting's option: `schedule = cosine(T_max: 10), warmup: 500`. */
export const WARMUP: ArgSpec[] = [
  { name: 'warmup', type: 'int', default: int(0), doc: 'steps of linear warm-up', min: 0 },
];

/** Quantities measured on held-out data: a dataset without validation or test split has none. */
const HELD_OUT = ['val_loss', 'val_accuracy'];

export class RunControlChecker {
  readonly control: RunControl = {};
  /** Where the stop condition and early stopping name held-out quantities. */
  private heldOutUses: { name: string; span: Span; what: string }[] = [];

  constructor(
    private file: string,
    private diags: Diagnostic[],
  ) {}

  /** Handles a statement that is not a setting; false if it is not one of these. */
  statement(statement: TrainStatement): boolean {
    if (statement.kind === 'Stop') this.stop(statement);
    else if (statement.kind === 'Checkpoint') this.checkpoint(statement);
    else if (statement.kind === 'CallStatement' && statement.call.callee.name === 'early_stop')
      this.earlyStop(statement.call);
    else if (statement.kind === 'CallStatement') {
      const name = statement.call.callee.name;
      this.error(
        CODES.unknownName,
        `unknown train statement '${name}'${didYouMean(name, ['early_stop'])}`,
        statement.call.callee.span,
      );
    } else return false;
    return true;
  }

  schedule(setting: Assignment): void {
    const value = setting.value;
    const callee = value.kind === 'Call' ? value.callee : value.kind === 'Name' ? value : undefined;
    const def = callee && SCHEDULES.get(callee.name);
    if (!callee || !def) {
      const hint = callee ? didYouMean(callee.name, SCHEDULES.keys()) : '';
      const known = [...SCHEDULES.keys()].join(', ');
      this.error(
        CODES.unknownName,
        `unknown schedule '${callee?.name ?? '?'}'${hint} (known: ${known})`,
        (callee ?? value).span,
      );
      return;
    }
    const args = bindArgs(
      value.kind === 'Call' ? value.args : [],
      def.args,
      this.ctx(def.name, value.span),
      this.diags,
    );
    const options = bindArgs(
      setting.options,
      WARMUP,
      this.ctx('schedule', setting.span),
      this.diags,
    );
    if (!args || !options) return;
    this.control.schedule = { def, args, warmup: numberArg(options, 'warmup') };
  }

  private stop(statement: Extract<TrainStatement, { kind: 'Stop' }>): void {
    const condition = toStopCondition(statement.condition);
    const every = this.every(statement, 'stop when');
    if ('error' in condition) this.error(CODES.argumentType, condition.error, condition.at.span);
    else if (every) {
      this.control.stop = { condition, ...every };
      for (const use of heldOutNames(statement.condition))
        this.heldOutUses.push({ ...use, what: 'stop when' });
    }
  }

  /**
   * A stop condition or early stopping on val_loss or val_accuracy needs a validation or test
   * split; without one the condition could never hold, so it is an error rather than a silent never.
   */
  checkHeldOut(dataset: { name: string; test?: unknown; validation?: unknown }): void {
    if (dataset.test || dataset.validation) return;
    for (const use of this.heldOutUses) {
      const message = `${use.what}: '${use.name}' is measured on a validation or test split, and dataset '${dataset.name}' has neither (add validation = split(train, 10%) or a test split)`;
      this.error(CODES.argumentRange, message, use.span);
    }
  }

  private checkpoint(statement: Extract<TrainStatement, { kind: 'Checkpoint' }>): void {
    const every = this.every(statement, 'checkpoint');
    if (every) this.control.checkpoint = { dir: statement.path.value, ...every };
  }

  /** `every N epochs|steps` (default every 1 epoch); undefined after reporting a mistake. */
  private every(
    statement: Extract<TrainStatement, { kind: 'Checkpoint' | 'Stop' }>,
    what: string,
  ): { every: number; unit: 'epoch' | 'step' } | undefined {
    const unit = statement.unit?.name ?? 'epoch';
    const normalized = unit.replace(/s$/, '');
    if (normalized !== 'epoch' && normalized !== 'step') {
      this.error(
        CODES.argumentType,
        `${what} every … epochs or steps, not '${unit}'`,
        statement.unit!.span,
      );
      return undefined;
    }
    const every = statement.every?.value ?? 1;
    if (!Number.isInteger(every) || every < 1) {
      this.error(
        CODES.argumentRange,
        `${what} every: a positive whole number`,
        statement.every!.span,
      );
      return undefined;
    }
    return { every, unit: normalized };
  }

  private earlyStop(call: Extract<TrainStatement, { kind: 'CallStatement' }>['call']): void {
    const args = bindArgs(
      call.args,
      EARLY_STOP_ARGS,
      this.ctx('early_stop', call.span),
      this.diags,
    );
    if (!args) return;
    const monitor = args.values.get('monitor');
    const name = monitor?.t === 'name' ? monitor.name : monitor?.t === 'str' ? monitor.v : '';
    const span = call.args.find((a) => a.name?.name === 'monitor')?.value.span ?? call.span;
    if (HELD_OUT.includes(name)) this.heldOutUses.push({ name, span, what: 'early_stop' });
    if (!STOP_QUANTITIES.has(name)) {
      this.error(
        CODES.unknownName,
        `early_stop cannot monitor '${name}'${didYouMean(name, STOP_QUANTITIES.keys())}`,
        span,
      );
      return;
    }
    const mode = stringArg(args, 'mode');
    if (mode !== 'min' && mode !== 'max') {
      this.error(CODES.argumentType, 'early_stop: mode is "min" or "max"', call.span);
      return;
    }
    this.control.earlyStop = {
      monitor: name,
      patience: numberArg(args, 'patience'),
      minDelta: numberArg(args, 'min_delta'),
      mode,
      restoreBest: boolArg(args, 'restore_best'),
    };
  }

  private ctx(what: string, span: Assignment['span']) {
    return { what, file: this.file, span, constants: new Map() };
  }

  private error(code: string, message: string, span: Assignment['span']): void {
    this.diags.push(diagnostic(code, message, this.file, span));
  }
}

/** The held-out quantities an expression names, with their spans. */
function heldOutNames(expr: Expr): { name: string; span: Span }[] {
  if (expr.kind === 'Name')
    return HELD_OUT.includes(expr.name) ? [{ name: expr.name, span: expr.span }] : [];
  if (expr.kind === 'Binary') return [...heldOutNames(expr.left), ...heldOutNames(expr.right)];
  return [];
}
