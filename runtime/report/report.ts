// The run report: a folder with the resolved spec, the metrics log (JSONL and CSV), plots as
// SVG, and an index.html that shows them — static files a user opens in any browser.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EpochMetrics } from '../train.js';
import { lineChart } from './chart.js';
import type { Series } from './chart.js';

export interface ReportInput {
  recipe: string;
  specPath: string;
  /** The spec and its imports, as checked. */
  sources: Map<string, string>;
  history: EpochMetrics[];
  /** Lines describing the run: model, dataset, optimizer, stop reason… */
  summary: string[];
}

const percent = (x: number) => `${(100 * x).toFixed(1)}%`;

function series(
  history: EpochMetrics[],
  name: string,
  pick: (m: EpochMetrics) => number | undefined,
): Series[] {
  const points = history.map((m) => [m.epoch, pick(m)] as [number, number | undefined]);
  const defined = points.filter((p): p is [number, number] => p[1] !== undefined);
  return defined.length ? [{ name, points: defined }] : [];
}

/** Writes the report files into `dir`; returns the path of index.html. */
export function writeReport(dir: string, input: ReportInput): string {
  mkdirSync(dir, { recursive: true });
  const { history } = input;
  const plots = {
    'loss.svg': lineChart({
      title: 'Loss',
      xLabel: 'epoch',
      yLabel: 'loss',
      series: [
        ...series(history, 'train', (m) => m.trainLoss),
        ...series(history, 'validation', (m) => m.valLoss),
        ...series(history, 'test', (m) => m.testLoss),
      ],
    }),
    'accuracy.svg': lineChart({
      title: 'Accuracy',
      xLabel: 'epoch',
      yLabel: 'accuracy',
      formatY: percent,
      series: [
        ...series(history, 'train', (m) => m.trainAccuracy),
        ...series(history, 'validation', (m) => m.valAccuracy),
        ...series(history, 'test', (m) => m.testAccuracy),
      ],
    }),
    'gap.svg': lineChart({
      // Validation loss when there is a validation split, else test loss.
      title: 'Generalization gap (held-out − train loss)',
      xLabel: 'epoch',
      yLabel: 'loss gap',
      series: series(history, 'gap', (m) => {
        const heldOut = m.valLoss ?? m.testLoss;
        return heldOut === undefined ? undefined : heldOut - m.trainLoss;
      }),
    }),
    'lr.svg': lineChart({
      title: 'Learning rate (last step of each epoch)',
      xLabel: 'epoch',
      yLabel: 'learning rate',
      series: series(history, 'lr', (m) => m.lr),
    }),
  };
  for (const [name, svg] of Object.entries(plots)) writeFileSync(join(dir, name), svg);
  writeFileSync(join(dir, 'metrics.csv'), metricsCsv(history));
  for (const [file, text] of input.sources)
    writeFileSync(join(dir, `spec-${file.split('/').pop()}`), text);
  const page = join(dir, 'index.html');
  writeFileSync(page, html(input, Object.keys(plots)));
  return page;
}

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
  const rows = history.map((m) =>
    columns.map((c) => (m[c] === undefined ? '' : String(m[c]))).join(','),
  );
  return [columns.join(','), ...rows].join('\n') + '\n';
}

const escape = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function html(input: ReportInput, plots: string[]): string {
  const last = input.history[input.history.length - 1];
  const rows = input.history
    .map(
      (m) =>
        `<tr><td>${m.epoch}</td><td>${m.trainLoss.toFixed(4)}</td><td>${percent(m.trainAccuracy)}</td><td>${m.testLoss?.toFixed(4) ?? ''}</td><td>${m.testAccuracy === undefined ? '' : percent(m.testAccuracy)}</td><td>${Math.round(m.imagesPerSecond)}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>netspec run: ${escape(input.recipe)}</title>
<style>body{font-family:sans-serif;margin:2em;max-width:1200px} img{border:1px solid #ddd;margin:4px}
table{border-collapse:collapse} td,th{padding:4px 10px;border-bottom:1px solid #eee;text-align:right}</style></head>
<body>
<h1>${escape(input.recipe)}</h1>
<p>${escape(input.specPath)}${last ? ` — final test accuracy ${last.testAccuracy === undefined ? 'n/a' : percent(last.testAccuracy)}` : ''}</p>
<ul>${input.summary.map((s) => `<li>${escape(s)}</li>`).join('')}</ul>
<div class="plots">${plots.map((p) => `<img src="${p}" alt="${p.replace('.svg', '')} plot">`).join('\n')}</div>
<h2>Metrics</h2>
<table><tr><th>epoch</th><th>train loss</th><th>train acc</th><th>test loss</th><th>test acc</th><th>images/s</th></tr>
${rows}
</table>
<p>Files: <a href="metrics.csv">metrics.csv</a>, <a href="metrics.jsonl">metrics.jsonl</a></p>
</body></html>
`;
}
