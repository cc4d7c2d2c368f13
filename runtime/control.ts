// Steers a run from its recipe: the learning rate before each step (schedule and warm-up), and
// whether to stop — `stop when …` at the grain of each quantity (after every step for `steps`,
// per epoch or every N steps for the others), a non-finite loss, early stopping after each
// epoch — with the reason said in words.
import type { Recipe, Schedule } from '../compiler/index.js';
import {
  quantitiesOf,
  SCHEDULES,
  STEP_QUANTITIES,
  stopReason,
  withWarmup,
} from '../compiler/index.js';
import type { EpochMetrics } from './train.js';
import { plural } from './plural.js';

export interface EpochOutcome {
  /** Why the run stops after this epoch; undefined to go on. */
  stop?: string;
  /** This epoch is the best so far by the monitored metric (early stopping's `restore_best`). */
  best: boolean;
}

/** What a run measured over a stop condition's period: the last epoch, or the last N steps. */
export interface PeriodValues {
  /** Mean data loss and accuracy of the period's training steps. */
  loss: number;
  accuracy: number;
  valLoss?: number;
  valAccuracy?: number;
  /** The period's last minibatch gradient norm. */
  batchGradNorm?: number;
  /** ‖∇f(θ)‖ over the whole training set, measured when the condition tests it. */
  fullGradNorm?: number;
}

/** What the controller remembers between periods, saved in checkpoints. */
export interface ControlMemory {
  previousLoss?: number;
}

export class RunController {
  private schedule: Schedule;
  private previousLoss?: number;
  private bestValue?: number;
  private badEpochs = 0;

  constructor(
    private recipe: Recipe,
    base: number,
    stepsPerEpoch: number,
    epochs: number,
  ) {
    const chosen = recipe.control.schedule;
    const def = chosen?.def ?? SCHEDULES.get('constant')!;
    const schedule = def.create(chosen?.args ?? { values: new Map(), spans: new Map() }, {
      base,
      stepsPerEpoch,
      epochs,
    });
    this.schedule = withWarmup(schedule, chosen?.warmup ?? 0);
  }

  /** The learning rate of step `step` (0-based) in epoch `epoch` (0-based). */
  rate(step: number, epoch: number): number {
    return this.schedule.rate(step, epoch);
  }

  /** Whether the stop condition tests `quantity`, so the run must measure it. */
  tests(quantity: string): boolean {
    const rule = this.recipe.control.stop;
    return rule !== undefined && quantitiesOf(rule.condition).has(quantity);
  }

  /**
   * Why to stop after `steps` steps, from the quantities every step knows (`steps`): checked
   * after every step, so the run ends at exactly that step. Pure: the chunk planner asks it
   * ahead of time.
   */
  afterStep(steps: number): string | undefined {
    const rule = this.recipe.control.stop;
    if (!rule || ![...quantitiesOf(rule.condition)].some((q) => STEP_QUANTITIES.has(q)))
      return undefined;
    const reason = stopReason(rule.condition, new Map([['steps', steps]]));
    return reason && `stop when: ${reason}`;
  }

  /** `stop when … every N steps`: whether a period ends with step `steps`. */
  periodEndsAt(steps: number): boolean {
    const rule = this.recipe.control.stop;
    return rule?.unit === 'step' && steps % rule.every === 0;
  }

  /** Whether the stop condition is checked at the end of epoch `epoch` (every N epochs). */
  checksAfterEpoch(epoch: number): boolean {
    const rule = this.recipe.control.stop;
    return rule?.unit === 'epoch' && epoch % rule.every === 0;
  }

  /** At the end of an `every N steps` period: why to stop, if the condition holds. */
  afterPeriod(values: PeriodValues, steps: number, epochs: number): string | undefined {
    return this.check(values, steps, epochs);
  }

  afterEpoch(m: EpochMetrics, steps: number): EpochOutcome {
    const values = epochValues(m);
    this.schedule.endEpoch?.(values.valLoss);
    if (!Number.isFinite(m.trainLoss))
      return { stop: `the training loss is ${m.trainLoss}`, best: false };
    const best = this.track(quantities(values, steps, m.epoch, undefined));
    const reason = this.checksAfterEpoch(m.epoch) ? this.check(values, steps, m.epoch) : undefined;
    if (reason) return { stop: reason, best };
    const early = this.recipe.control.earlyStop;
    if (early && this.badEpochs >= Math.max(1, early.patience)) {
      return {
        stop: `early stopping: ${early.monitor} has not improved for ${plural(this.badEpochs, 'epoch')}`,
        best,
      };
    }
    return { best };
  }

  /** The best value early stopping has seen of its monitored quantity. */
  get best(): number | undefined {
    return this.bestValue;
  }

  /** The full condition over a period's values; remembers its loss for the next improvement. */
  private check(values: PeriodValues, steps: number, epochs: number): string | undefined {
    const all = quantities(values, steps, epochs, this.previousLoss);
    this.previousLoss = values.loss;
    const rule = this.recipe.control.stop;
    const reason = rule && stopReason(rule.condition, all);
    return reason && `stop when: ${reason}`;
  }

  /** Updates early stopping's memory; true when this epoch is the best so far. */
  private track(values: Map<string, number>): boolean {
    const early = this.recipe.control.earlyStop;
    const value = values.get(early?.monitor ?? 'val_loss');
    if (value === undefined) return true;
    const sign = early?.mode === 'max' ? -1 : 1;
    const minDelta = early?.minDelta ?? 0;
    if (this.bestValue === undefined || sign * (this.bestValue - value) > minDelta) {
      this.bestValue = value;
      this.badEpochs = 0;
      return true;
    }
    this.badEpochs++;
    return false;
  }

  /**
   * After a resume: replaying the finished epochs rebuilds the epoch memory exactly; what an
   * `every N steps` condition remembers comes from the checkpoint.
   */
  restore(history: EpochMetrics[], stepsAtEpoch: number[], memory?: ControlMemory): void {
    history.forEach((m, i) => this.afterEpoch(m, stepsAtEpoch[i]));
    if (memory && this.recipe.control.stop?.unit === 'step')
      this.previousLoss = memory.previousLoss;
  }

  memory(): ControlMemory {
    return { previousLoss: this.previousLoss };
  }
}

function epochValues(m: EpochMetrics): PeriodValues {
  return {
    loss: m.trainLoss,
    accuracy: m.trainAccuracy,
    valLoss: m.valLoss ?? m.testLoss,
    valAccuracy: m.valAccuracy ?? m.testAccuracy,
    batchGradNorm: m.monitors?.grad_norm,
    fullGradNorm: m.monitors?.full_grad_norm,
  };
}

function quantities(
  p: PeriodValues,
  steps: number,
  epochs: number,
  previous: number | undefined,
): Map<string, number> {
  const values = new Map<string, number>([
    ['steps', steps],
    ['epochs', epochs],
    ['loss', p.loss],
    ['accuracy', p.accuracy],
  ]);
  const optional: [string, number | undefined][] = [
    ['val_loss', p.valLoss],
    ['val_accuracy', p.valAccuracy],
    ['batch_grad_norm', p.batchGradNorm],
    ['full_grad_norm', p.fullGradNorm],
  ];
  for (const [name, value] of optional) if (value !== undefined) values.set(name, value);
  if (previous !== undefined) {
    values.set('improvement', previous - p.loss);
    values.set('relative_improvement', (previous - p.loss) / Math.abs(previous));
  }
  return values;
}
