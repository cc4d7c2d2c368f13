// `--collect`: what the trials wrote in the sweep folder, whatever ran them, as one table —
// `sweep.csv`, one row per trial: its settings, status, final and best metrics, why it stopped,
// its training time and, for a failed trial, the error. Trials are ranked by their best
// held-out accuracy (validation, else test); unfinished and failed ones come last.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readText } from '../files.js';
import type { EpochMetrics } from '../train.js';
import type { SweepManifest, TrialEntry, TrialResult } from './folder.js';
import { readResult, trialDir } from './folder.js';

export interface TrialRow {
  trial: TrialEntry;
  /** Undefined: the trial has not ended (not started, running, or interrupted). */
  result?: TrialResult;
  history: EpochMetrics[];
}

const METRICS = [
  ['train_loss', 'trainLoss'],
  ['train_accuracy', 'trainAccuracy'],
  ['val_loss', 'valLoss'],
  ['val_accuracy', 'valAccuracy'],
  ['test_loss', 'testLoss'],
  ['test_accuracy', 'testAccuracy'],
] as const;

export function collectTrials(dir: string, manifest: SweepManifest): TrialRow[] {
  return manifest.trials.map((trial) => ({
    trial,
    result: readResult(dir, trial),
    history: readHistory(join(trialDir(dir, trial), 'metrics.jsonl')),
  }));
}

function readHistory(path: string): EpochMetrics[] {
  if (!existsSync(path)) return [];
  const lines = readText(path, 'sweep').split('\n').filter(Boolean);
  return lines.map((line) => JSON.parse(line) as EpochMetrics);
}

/** The held-out accuracy trials are ranked by: validation when the trials have it, else test. */
export function rankingMetric(rows: TrialRow[]): 'valAccuracy' | 'testAccuracy' {
  const epochs = rows.flatMap((r) => r.history);
  return epochs.some((m) => m.valAccuracy !== undefined) ? 'valAccuracy' : 'testAccuracy';
}

export function bestOf(row: TrialRow, metric: keyof EpochMetrics): number | undefined {
  const values = row.history
    .map((m) => m[metric])
    .filter((v): v is number => typeof v === 'number');
  if (values.length === 0) return undefined;
  return String(metric).endsWith('Loss') ? Math.min(...values) : Math.max(...values);
}

/** Finished trials by their best held-out accuracy, best first; the others after, in order. */
export function ranked(rows: TrialRow[]): TrialRow[] {
  const metric = rankingMetric(rows);
  const score = (r: TrialRow) =>
    r.result && r.result.status !== 'failed' ? (bestOf(r, metric) ?? -Infinity) : -Infinity;
  return [...rows].sort((a, b) => score(b) - score(a) || a.trial.index - b.trial.index);
}

/** The columns present in at least one trial's history. */
function metricColumns(rows: TrialRow[]): (typeof METRICS)[number][] {
  return METRICS.filter(([, field]) =>
    rows.some((r) => r.history.some((m) => m[field] !== undefined)),
  );
}

export function sweepCsv(manifest: SweepManifest, rows: TrialRow[]): string {
  const metrics = metricColumns(rows);
  const heldOut = metrics.filter(([name]) => !name.startsWith('train_'));
  const header = [
    'rank',
    'trial',
    'name',
    ...manifest.keys,
    'status',
    'epochs',
    ...metrics.map(([name]) => `final_${name}`),
    ...heldOut.map(([name]) => `best_${name}`),
    'stopped',
    'seconds',
    'error',
  ];
  const lines = ranked(rows).map((row, rank) => {
    const last = row.history[row.history.length - 1];
    const cells = [
      rank + 1,
      row.trial.index,
      row.trial.name,
      ...row.trial.settings.map((s) => s.value),
      row.result?.status ?? 'not finished',
      row.history.length,
      ...metrics.map(([, field]) => last?.[field]),
      ...heldOut.map(([, field]) => bestOf(row, field)),
      row.result?.stopped,
      row.history.length ? trainingSeconds(row) : undefined,
      row.result?.error,
    ];
    return cells.map(csvCell).join(',');
  });
  return [header.map(csvCell).join(','), ...lines].join('\n') + '\n';
}

/** Training time: every epoch's, across interruptions (each epoch's time is checkpointed). */
export function trainingSeconds(row: TrialRow): number {
  return row.history.reduce((sum, m) => sum + m.seconds, 0);
}

function csvCell(value: string | number | undefined): string {
  if (value === undefined) return '';
  const text = String(value);
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
