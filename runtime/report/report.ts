// The run report: a folder with the resolved spec, the metrics logs (per epoch as JSONL and
// CSV, per step as CSV), plots as SVG (plots.ts), a per-class table, and an index.html with a
// header of every setting as resolved — static files a user opens in any browser.
import { makeFolder, writeFileAtomic } from '../writes.js';
import { join } from 'node:path';
import type { EpochMetrics } from '../train.js';
import type { StepLog } from '../step-log.js';
import { heatMap } from './chart.js';
import type { ClassReport } from './classes.js';
import { reportPlots, termNames } from './plots.js';
import { classesCsv, generalizationGap, metricsCsv, metricsJsonl, stepsCsv } from './tables.js';

export { classesCsv, generalizationGap, metricsCsv, metricsJsonl } from './tables.js';

export interface ReportInput {
  recipe: string;
  specPath: string;
  /** The spec and its imports, as checked. */
  sources: Map<string, string>;
  history: EpochMetrics[];
  /** Every step's loss, learning rate and monitors (absent: the plots are per epoch). */
  steps?: StepLog;
  /** Label and value rows: the settings as resolved, the run's facts (header.ts). */
  header: [string, string][];
  /** Per-class results of the final weights on the test split (or validation). */
  classes?: ClassReport;
}

const percent = (x: number) => `${(100 * x).toFixed(1)}%`;

/** The copy of a spec file in the report folder. */
const specCopy = (file: string) => `spec-${file.split('/').pop()}`;

/** Writes the report files into `dir`; returns the path of index.html. */
export function writeReport(dir: string, input: ReportInput): string {
  makeFolder(dir);
  const plots = reportPlots(input.history, input.steps);
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
  writeFileAtomic(join(dir, 'metrics.csv'), metricsCsv(input.history));
  writeFileAtomic(join(dir, 'metrics.jsonl'), metricsJsonl(input.history));
  if (input.steps) writeFileAtomic(join(dir, 'steps.csv'), stepsCsv(input.steps));
  for (const [file, text] of input.sources) writeFileAtomic(join(dir, specCopy(file)), text);
  const page = join(dir, 'index.html');
  writeFileAtomic(page, html(input, Object.keys(plots)));
  return page;
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

function metricsTable(history: EpochMetrics[]): string {
  const loss = (x: number) => x.toFixed(4);
  const terms = termNames(history);
  const termHeads = terms.map(
    (t) => `<th>${t === 'penalty' ? 'penalty λ‖θ‖²' : 'SAM ascent loss'}</th>`,
  );
  const rows = history
    .map((m) => {
      const cells = [
        `${m.epoch}${m.partial ? ` (${m.partial.steps} of ${m.partial.of} steps)` : ''}`,
        loss(m.trainLoss),
        ...terms.map((t) => optional(m.terms?.[t], loss)),
        percent(m.trainAccuracy),
        optional(m.valLoss, loss),
        optional(m.valAccuracy, percent),
        optional(m.testLoss, loss),
        optional(m.testAccuracy, percent),
        optional(generalizationGap(m), loss),
        m.lr.toPrecision(3),
        optional(m.monitors?.grad_norm, (x) => x.toPrecision(3)),
        Math.round(m.imagesPerSecond).toLocaleString('en-US'),
      ];
      return `<tr>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
    })
    .join('\n');
  return `<table class="metrics"><tr><th>epoch</th><th>train data loss</th>${termHeads.join('')}<th>train acc</th><th>val loss</th><th>val acc</th><th>test loss</th><th>test acc</th><th>gap (held-out − train data loss)</th><th>lr (last step)</th><th>grad norm (last step)</th><th>images/s</th></tr>
${rows}
</table>`;
}

function specSection(input: ReportInput): string {
  return [...input.sources]
    .map(
      ([file, text]) =>
        `<h3><a href="${escape(specCopy(file))}">${escape(file)}</a></h3>\n<pre class="spec">${escape(text)}</pre>`,
    )
    .join('\n');
}

function html(input: ReportInput, plots: string[]): string {
  const last = input.history[input.history.length - 1];
  const header = input.header
    .map(([label, value]) => `<tr><th>${escape(label)}</th><td>${escape(value)}</td></tr>`)
    .join('\n');
  const files = ['metrics.csv', 'metrics.jsonl', ...(input.steps ? ['steps.csv'] : [])];
  const accuracy =
    last?.testAccuracy === undefined ? '' : ` — final test accuracy ${percent(last.testAccuracy)}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>netspec run: ${escape(input.recipe)}</title>
<style>body{font-family:sans-serif;margin:2em;max-width:1200px} img{border:1px solid #ddd;margin:4px;vertical-align:top}
table{border-collapse:collapse} td,th{padding:4px 10px;border-bottom:1px solid #eee;text-align:right} td.name{text-align:left}
table.header th{text-align:left;white-space:nowrap;vertical-align:top} table.header td{text-align:left}
pre.spec{background:#f7f7f7;border:1px solid #ddd;padding:1em;overflow:auto;font-size:12px}</style></head>
<body>
<h1>${escape(input.recipe)}</h1>
<p><a href="#spec">${escape(input.specPath)}</a>${accuracy}</p>
<table class="header">
${header}
</table>
<div class="plots">${plots.map((p) => `<img src="${p}" alt="${p.replace('.svg', '')} plot">`).join('\n')}</div>
${input.classes ? classTable(input.classes) : ''}
<h2>Metrics per epoch</h2>
${metricsTable(input.history)}
<p>Files: ${files.map((f) => `<a href="${f}">${f}</a>`).join(', ')}</p>
<h2 id="spec">Spec</h2>
${specSection(input)}
</body></html>
`;
}
