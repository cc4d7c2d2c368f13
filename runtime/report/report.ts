// The run report: a folder with the resolved spec, the metrics log (JSONL and CSV), plots as
// SVG (loss, accuracy, generalization gap, learning rate, gradient and parameter norms, the
// confusion matrix), a per-class table, and an index.html that shows them — static files a
// user opens in any browser.
import { makeFolder, writeFileAtomic } from '../files.js';
import { join } from 'node:path';
import type { EpochMetrics } from '../train.js';
import { heatMap, lineChart } from './chart.js';
import type { Series } from './chart.js';
import type { ClassReport } from './classes.js';

export interface ReportInput {
  recipe: string;
  specPath: string;
  /** The spec and its imports, as checked. */
  sources: Map<string, string>;
  history: EpochMetrics[];
  /** Lines describing the run: model, dataset, optimizer, stop reason… */
  summary: string[];
  /** Per-class results of the final weights on the test split (or validation). */
  classes?: ClassReport;
}

/** Validation loss − training loss (test loss when there is no validation split). */
export function generalizationGap(m: EpochMetrics): number | undefined {
  const heldOut = m.valLoss ?? m.testLoss;
  return heldOut === undefined ? undefined : heldOut - m.trainLoss;
}

/** The monitors present in any epoch (grad_norm, param_norm, grad_variance), in a fixed order. */
function monitorNames(history: EpochMetrics[]): string[] {
  const seen = new Set(history.flatMap((m) => Object.keys(m.monitors ?? {})));
  const known = ['grad_norm', 'param_norm', 'grad_variance'];
  return [...known.filter((k) => seen.has(k)), ...[...seen].filter((k) => !known.includes(k))];
}

const MONITOR_TITLES: Record<string, string> = {
  grad_norm: 'Gradient norm ‖∇L‖ (last step of each epoch)',
  param_norm: 'Parameter norm ‖θ‖',
  grad_variance: 'Minibatch gradient variance',
};

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
  makeFolder(dir);
  const { history } = input;
  const curves = {
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
      series: series(history, 'gap', generalizationGap),
    }),
    'lr.svg': lineChart({
      title: 'Learning rate (last step of each epoch)',
      xLabel: 'epoch',
      yLabel: 'learning rate',
      series: series(history, 'lr', (m) => m.lr),
    }),
  };
  const plots: Record<string, string> = { ...curves };
  for (const monitor of monitorNames(history)) {
    plots[`${monitor.replace(/_/g, '-')}.svg`] = lineChart({
      title: MONITOR_TITLES[monitor] ?? monitor,
      xLabel: 'epoch',
      yLabel: monitor.replace(/_/g, ' '),
      series: series(history, monitor, (m) => m.monitors?.[monitor]),
    });
  }
  if (input.classes) {
    const c = input.classes;
    plots['confusion.svg'] = heatMap({
      title: `Confusion matrix (${c.split}, ${c.count} examples)`,
      labels: c.classes.map((k) => k.name),
      rowLabel: 'true class',
      columnLabel: 'predicted class',
      counts: c.confusion,
    });
    writeFileAtomic(join(dir, 'classes.csv'), classesCsv(c));
  }
  for (const [name, svg] of Object.entries(plots)) writeFileAtomic(join(dir, name), svg);
  writeFileAtomic(join(dir, 'metrics.csv'), metricsCsv(history));
  writeFileAtomic(join(dir, 'metrics.jsonl'), metricsJsonl(history));
  for (const [file, text] of input.sources)
    writeFileAtomic(join(dir, `spec-${file.split('/').pop()}`), text);
  const page = join(dir, 'index.html');
  writeFileAtomic(page, html(input, Object.keys(plots)));
  return page;
}

/** One JSON object per epoch, with the generalization gap added. */
export function metricsJsonl(history: EpochMetrics[]): string {
  return history.map((m) => JSON.stringify({ ...m, gap: generalizationGap(m) })).join('\n') + '\n';
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
  const monitors = monitorNames(history);
  const cell = (x: number | undefined) => (x === undefined ? '' : String(x));
  const rows = history.map((m) =>
    [
      ...columns.map((c) => cell(m[c])),
      cell(generalizationGap(m)),
      ...monitors.map((k) => cell(m.monitors?.[k])),
    ].join(','),
  );
  return [[...columns, 'gap', ...monitors].join(','), ...rows].join('\n') + '\n';
}

/** Per-class results as CSV: class, support, correct, recall (accuracy), precision, F1. */
export function classesCsv(report: ClassReport): string {
  const cell = (x: number | undefined) => (x === undefined ? '' : String(x));
  const quote = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const rows = report.classes.map((c, k) =>
    [k, quote(c.name), c.support, c.correct, cell(c.recall), cell(c.precision), cell(c.f1)].join(
      ',',
    ),
  );
  return ['index,class,support,correct,accuracy,precision,f1', ...rows].join('\n') + '\n';
}

const escape = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const optional = (x: number | undefined, show: (x: number) => string) =>
  x === undefined ? '' : show(x);

function classTable(report: ClassReport): string {
  const rows = report.classes
    .map(
      (c, k) =>
        `<tr><td>${k}</td><td class="name">${escape(c.name)}</td><td>${c.support}</td><td>${c.correct}</td><td>${optional(c.recall, percent)}</td><td>${optional(c.precision, percent)}</td><td>${optional(c.f1, percent)}</td></tr>`,
    )
    .join('\n');
  return `<h2>Per class (${escape(report.split)}, final weights)</h2>
<p>${report.count} examples, loss ${report.loss.toFixed(4)}, accuracy ${percent(report.accuracy)}. Files: <a href="classes.csv">classes.csv</a></p>
<table class="classes"><tr><th>#</th><th>class</th><th>examples</th><th>correct</th><th>accuracy (recall)</th><th>precision</th><th>F1</th></tr>
${rows}
</table>`;
}

function html(input: ReportInput, plots: string[]): string {
  const last = input.history[input.history.length - 1];
  const loss = (x: number) => x.toFixed(4);
  const rows = input.history
    .map(
      (m) =>
        `<tr><td>${m.epoch}</td><td>${loss(m.trainLoss)}</td><td>${percent(m.trainAccuracy)}</td><td>${optional(m.valLoss, loss)}</td><td>${optional(m.valAccuracy, percent)}</td><td>${optional(m.testLoss, loss)}</td><td>${optional(m.testAccuracy, percent)}</td><td>${optional(generalizationGap(m), loss)}</td><td>${m.lr.toPrecision(3)}</td><td>${optional(m.monitors?.grad_norm, (x) => x.toPrecision(3))}</td><td>${Math.round(m.imagesPerSecond)}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>netspec run: ${escape(input.recipe)}</title>
<style>body{font-family:sans-serif;margin:2em;max-width:1200px} img{border:1px solid #ddd;margin:4px;vertical-align:top}
table{border-collapse:collapse} td,th{padding:4px 10px;border-bottom:1px solid #eee;text-align:right} td.name{text-align:left}</style></head>
<body>
<h1>${escape(input.recipe)}</h1>
<p>${escape(input.specPath)}${last ? ` — final test accuracy ${last.testAccuracy === undefined ? 'n/a' : percent(last.testAccuracy)}` : ''}</p>
<ul>${input.summary.map((s) => `<li>${escape(s)}</li>`).join('')}</ul>
<div class="plots">${plots.map((p) => `<img src="${p}" alt="${p.replace('.svg', '')} plot">`).join('\n')}</div>
${input.classes ? classTable(input.classes) : ''}
<h2>Metrics</h2>
<table class="metrics"><tr><th>epoch</th><th>train loss</th><th>train acc</th><th>val loss</th><th>val acc</th><th>test loss</th><th>test acc</th><th>gap (held-out − train loss)</th><th>lr</th><th>grad norm</th><th>images/s</th></tr>
${rows}
</table>
<p>Files: <a href="metrics.csv">metrics.csv</a>, <a href="metrics.jsonl">metrics.jsonl</a></p>
</body></html>
`;
}
