// What a run records step by step: sums over a stretch of steps (an epoch, a stop condition's
// period of N steps) and the per-step log the report plots (data loss, learning rate, loss terms).
import type { StepRecord } from './step-runner.js';

/** Sums over a stretch of steps, weighted by batch size. */
export interface Sums {
  lossSum: number;
  correct: number;
  seen: number;
  /** Sums of the loss terms beside the data loss (`penalty`, `sam_loss`). */
  termSums: Record<string, number>;
}

export const emptySums = (): Sums => ({ lossSum: 0, correct: 0, seen: 0, termSums: {} });

export function addStep(sums: Sums, step: StepRecord, size: number): void {
  sums.seen += size;
  sums.lossSum += step.loss * size;
  sums.correct += step.correct;
  for (const [name, value] of Object.entries(step.terms))
    sums.termSums[name] = (sums.termSums[name] ?? 0) + value * size;
}

/**
 * Every step of a run, column by column (compact in a checkpoint's state.json): the step
 * number (1-based), its epoch, its data loss, accuracy and learning rate, each loss term and each
 * monitor (grad_norm, param_norm…).
 */
export interface StepLog {
  step: number[];
  epoch: number[];
  loss: number[];
  /** The step's training accuracy (correct ÷ batch size). */
  accuracy: number[];
  lr: number[];
  terms: Record<string, number[]>;
  monitors: Record<string, number[]>;
}

export const newStepLog = (): StepLog => ({
  step: [],
  epoch: [],
  loss: [],
  accuracy: [],
  lr: [],
  terms: {},
  monitors: {},
});

export function logStep(
  log: StepLog,
  at: { step: number; epoch: number; size: number; lr: number },
  step: StepRecord,
) {
  log.step.push(at.step);
  log.epoch.push(at.epoch);
  log.loss.push(step.loss);
  log.accuracy.push(step.correct / at.size);
  log.lr.push(at.lr);
  for (const [name, value] of Object.entries(step.terms)) (log.terms[name] ??= []).push(value);
  for (const [name, value] of Object.entries(step.monitors))
    (log.monitors[name] ??= []).push(value);
}
