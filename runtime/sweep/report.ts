// The sweep report: `index.html` in the sweep folder beside `sweep.csv`, with the trials ranked
// (each linking to its own run report), their held-out curves overlaid, and each swept key's
// effect — every trial's best held-out accuracy against the key's values, with the mean per
// value. Static files, like the run report.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Series } from '../report/chart.js';
import { lineChart } from '../report/chart.js';
import type { EpochMetrics } from '../train.js';
import type { TrialRow } from './collect.js';
import { bestOf, ranked, rankingMetric, sweepCsv, trainingSeconds } from './collect.js';
import type { SweepManifest } from './folder.js';

const percent = (x: number) => `${(100 * x).toFixed(1)}%`;
const escape = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Writes sweep.csv, the plots and index.html into `dir`; returns the page's path. */
export function writeSweepReport(dir: string, manifest: SweepManifest, rows: TrialRow[]): string {
  writeFileSync(join(dir, 'sweep.csv'), sweepCsv(manifest, rows));
  const metric = rankingMetric(rows);
  const split = metric === 'valAccuracy' ? 'validation' : 'test';
  const plots: Record<string, string> = {
    'curves-accuracy.svg': curves(rows, `${split} accuracy`, metric, percent),
    'curves-loss.svg': curves(
      rows,
      `${split} loss`,
      metric === 'valAccuracy' ? 'valLoss' : 'testLoss',
    ),
  };
  manifest.keys.forEach((key, k) => {
    const chart = effect(rows, k, key, metric, split);
    if (chart) plots[`effect-${k}.svg`] = chart;
  });
  for (const [name, svg] of Object.entries(plots)) writeFileSync(join(dir, name), svg);
  const page = join(dir, 'index.html');
  writeFileSync(page, html(manifest, rows, Object.keys(plots), metric));
  return page;
}

function curves(
  rows: TrialRow[],
  what: string,
  field: keyof EpochMetrics,
  formatY?: (y: number) => string,
): string {
  const series: Series[] = rows.map((r) => ({
    name: r.trial.name,
    points: r.history
      .filter((m) => typeof m[field] === 'number')
      .map((m) => [m.epoch, m[field] as number]),
  }));
  return lineChart({
    title: `${what[0].toUpperCase()}${what.slice(1)}, every trial`,
    xLabel: 'epoch',
    yLabel: what,
    series: series.filter((s) => s.points.length > 0),
    formatY,
  });
}

/** Key `k`'s values along x (numbers in order), each trial's best held-out accuracy a dot. */
function effect(
  rows: TrialRow[],
  k: number,
  key: string,
  metric: 'valAccuracy' | 'testAccuracy',
  split: string,
): string | undefined {
  const values = [...new Set(rows.map((r) => r.trial.settings[k].value))];
  if (values.length < 2) return undefined;
  if (values.every((v) => Number.isFinite(Number(v)))) values.sort((a, b) => Number(a) - Number(b));
  const scored = rows
    .map((r) => [values.indexOf(r.trial.settings[k].value), bestOf(r, metric)] as const)
    .filter((p): p is [number, number] => p[1] !== undefined);
  const mean = values
    .map((_, x) => {
      const ys = scored.filter(([px]) => px === x).map(([, y]) => y);
      return [x, ys.reduce((a, b) => a + b, 0) / ys.length] as [number, number];
    })
    .filter(([, y]) => Number.isFinite(y));
  return lineChart({
    title: `Effect of ${key}`,
    xLabel: key,
    yLabel: `best ${split} accuracy`,
    xLabels: values,
    formatY: percent,
    series: [
      { name: 'trials', points: scored, dots: true },
      { name: 'mean', points: mean },
    ],
  });
}

function html(
  manifest: SweepManifest,
  rows: TrialRow[],
  plots: string[],
  metric: keyof EpochMetrics,
): string {
  const split = metric === 'valAccuracy' ? 'validation' : 'test';
  const counts = new Map<string, number>();
  for (const r of rows) {
    const status = r.result?.status ?? 'not finished';
    counts.set(status, (counts.get(status) ?? 0) + 1);
  }
  const status = [...counts].map(([s, n]) => `${n} ${s}`).join(', ');
  const optional = (x: number | undefined, show: (x: number) => string) =>
    x === undefined ? '' : show(x);
  const body = ranked(rows)
    .map((r, rank) => {
      const last = r.history[r.history.length - 1];
      const settings = r.trial.settings.map((s) => `<td>${escape(s.value)}</td>`).join('');
      const note = r.result?.error ?? r.result?.stopped ?? '';
      const link = r.history.length
        ? `<a href="${r.trial.name}/index.html">${r.trial.name}</a>`
        : r.trial.name;
      return `<tr class="trial" data-trial="${r.trial.index}"><td>${rank + 1}</td><td>${link}</td>${settings}<td>${escape(r.result?.status ?? 'not finished')}</td><td>${optional(bestOf(r, metric), percent)}</td><td>${optional(last?.valLoss ?? last?.testLoss, (x) => x.toFixed(4))}</td><td>${r.history.length}</td><td>${r.history.length ? trainingSeconds(r).toFixed(1) : ''}</td><td class="note">${escape(note)}</td></tr>`;
    })
    .join('\n');
  const keys = manifest.keys.map((k) => `<th>${escape(k)}</th>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>netspec sweep: ${escape(manifest.sweep)}</title>
<style>body{font-family:sans-serif;margin:2em;max-width:1200px} img{border:1px solid #ddd;margin:4px;vertical-align:top}
table{border-collapse:collapse} td,th{padding:4px 10px;border-bottom:1px solid #eee;text-align:right} td.note{text-align:left}</style></head>
<body>
<h1>Sweep ${escape(manifest.sweep)}</h1>
<p>${escape(manifest.spec)}, over train block ${escape(manifest.recipe)}: ${rows.length} trials (${escape(status)}), ranked by best ${split} accuracy.</p>
<h2>Trials</h2>
<table class="trials"><tr><th>rank</th><th>trial</th>${keys}<th>status</th><th>best ${split} acc</th><th>final ${split} loss</th><th>epochs</th><th>seconds</th><th>stopped / error</th></tr>
${body}
</table>
<p>Files: <a href="sweep.csv">sweep.csv</a></p>
<h2>Curves and effects</h2>
<div class="plots">${plots.map((p) => `<img src="${p}" alt="${p.replace('.svg', '')}">`).join('\n')}</div>
</body></html>
`;
}
