// The report's data files: per-epoch metrics (CSV and JSONL, with the generalization gap),
// every step (CSV) and the per-class results (CSV).
import type { EpochMetrics } from '../train.js';
import type { StepLog } from '../step-log.js';
import type { ClassReport } from './classes.js';

/** Held-out − training data loss (validation loss, or test loss when there is no validation split). */
export function generalizationGap(m: EpochMetrics): number | undefined {
  const heldOut = m.valLoss ?? m.testLoss;
  return heldOut === undefined ? undefined : heldOut - m.trainLoss;
}

const cell = (x: number | undefined) => (x === undefined ? '' : String(x));

/** One JSON object per epoch, with the generalization gap added. */
export function metricsJsonl(history: EpochMetrics[]): string {
  return history.map((m) => JSON.stringify({ ...m, gap: generalizationGap(m) })).join('\n') + '\n';
}

/** The loss terms and monitors present in any epoch, as extra columns. */
function extraColumns(history: EpochMetrics[]) {
  const names = (pick: (m: EpochMetrics) => Record<string, number> | undefined) => [
    ...new Set(history.flatMap((m) => Object.keys(pick(m) ?? {}))),
  ];
  return { terms: names((m) => m.terms), monitors: names((m) => m.monitors) };
}

/**
 * Per epoch: `trainLoss` is the data loss; the terms beside it (`penalty`, `sam_loss`) and the
 * monitors follow as their own columns, after the gap.
 */
export function metricsCsv(history: EpochMetrics[]): string {
  const columns = [
    'epoch',
    'trainLoss',
    'trainAccuracy',
    'valLoss',
    'valAccuracy',
    'testLoss',
    'testAccuracy',
    'lr',
    'imagesPerSecond',
    'seconds',
  ] as const;
  const { terms, monitors } = extraColumns(history);
  const rows = history.map((m) =>
    [
      ...columns.map((c) => cell(m[c])),
      cell(generalizationGap(m)),
      ...terms.map((k) => cell(m.terms?.[k])),
      ...monitors.map((k) => cell(m.monitors?.[k])),
    ].join(','),
  );
  return [[...columns, 'gap', ...terms, ...monitors].join(','), ...rows].join('\n') + '\n';
}

/** Every step: number, epoch, data loss, accuracy, learning rate, loss terms, monitors. */
export function stepsCsv(steps: StepLog): string {
  const extra = [...Object.entries(steps.terms), ...Object.entries(steps.monitors)];
  const header = ['step', 'epoch', 'loss', 'accuracy', 'lr', ...extra.map(([name]) => name)];
  const rows = steps.step.map((s, i) =>
    [
      s,
      steps.epoch[i],
      steps.loss[i],
      steps.accuracy[i],
      steps.lr[i],
      ...extra.map(([, v]) => v[i]),
    ]
      .map((x) => cell(x))
      .join(','),
  );
  return [header.join(','), ...rows].join('\n') + '\n';
}

/** Per-class results as CSV: class, support, correct, recall (accuracy), precision, F1. */
export function classesCsv(report: ClassReport): string {
  const quote = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const rows = report.classes.map((c, k) =>
    [k, quote(c.name), c.support, c.correct, cell(c.recall), cell(c.precision), cell(c.f1)].join(
      ',',
    ),
  );
  return ['index,class,support,correct,accuracy,precision,f1', ...rows].join('\n') + '\n';
}
