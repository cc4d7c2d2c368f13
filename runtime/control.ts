// Steers a run from its recipe: the learning rate before each step (schedule and warm-up), and
// after each epoch whether to stop — a non-finite loss, `stop when …`, early stopping — with the
// reason said in words.
import type { Recipe, Schedule } from '../compiler/index.js';
import { SCHEDULES, stopReason, withWarmup } from '../compiler/index.js';
import type { EpochMetrics } from './train.js';

export interface EpochOutcome {
  /** Why the run stops after this epoch; undefined to go on. */
  stop?: string;
  /** This epoch is the best so far by the monitored metric (early stopping's `restore_best`). */
  best: boolean;
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

  afterEpoch(m: EpochMetrics, steps: number, gradNorm?: number): EpochOutcome {
    const values = quantities(m, steps, this.previousLoss, gradNorm);
    this.previousLoss = m.trainLoss;
    this.schedule.endEpoch?.(values.get('val_loss'));
    if (!Number.isFinite(m.trainLoss))
      return { stop: `the training loss is ${m.trainLoss}`, best: false };
    const best = this.track(values);
    const condition = this.recipe.control.stop;
    const reason = condition && stopReason(condition, values);
    if (reason) return { stop: `stop when: ${reason}`, best };
    const early = this.recipe.control.earlyStop;
    if (early && this.badEpochs >= Math.max(1, early.patience)) {
      return {
        stop: `early stopping: ${early.monitor} has not improved for ${this.badEpochs} epoch${this.badEpochs === 1 ? '' : 's'}`,
        best,
      };
    }
    return { best };
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

  /** After a resume: replaying the finished epochs rebuilds every piece of memory exactly. */
  restore(history: EpochMetrics[], stepsAtEpoch: number[]): void {
    history.forEach((m, i) => this.afterEpoch(m, stepsAtEpoch[i]));
  }
}

function quantities(
  m: EpochMetrics,
  steps: number,
  previous: number | undefined,
  gradNorm?: number,
) {
  const values = new Map<string, number>([
    ['steps', steps],
    ['epochs', m.epoch],
    ['loss', m.trainLoss],
    ['accuracy', m.trainAccuracy],
  ]);
  const valLoss = m.valLoss ?? m.testLoss;
  const valAccuracy = m.valAccuracy ?? m.testAccuracy;
  if (valLoss !== undefined) values.set('val_loss', valLoss);
  if (valAccuracy !== undefined) values.set('val_accuracy', valAccuracy);
  if (previous !== undefined) {
    values.set('improvement', previous - m.trainLoss);
    values.set('relative_improvement', (previous - m.trainLoss) / Math.abs(previous));
  }
  if (gradNorm !== undefined) values.set('grad_norm', gradNorm);
  return values;
}
