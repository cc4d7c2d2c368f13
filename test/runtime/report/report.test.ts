// The run report renders in a real browser (Debian's headless Chromium): every plot image loads
// and draws its series (per-step curves on a step axis, epoch values on top), legends sit off
// the data and tick labels differ; the header shows the settings; the spec is shown and linked;
// the confusion matrix has one cell per (true, predicted) pair and the class names; the
// per-class table has a row per class.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { formatTick, ticks } from '../../../runtime/report/chart.js';
import { smoothed } from '../../../runtime/report/plots.js';
import type { StepLog } from '../../../runtime/step-log.js';
import { classReport } from '../../../runtime/report/classes.js';
import { writeReport } from '../../../runtime/report/report.js';
import { tempDir } from '../../helpers/spec.js';

const history = [1, 2, 3].map((epoch) => ({
  epoch,
  trainLoss: 1 / epoch,
  trainAccuracy: 0.7 + 0.05 * epoch,
  terms: { penalty: 0.05 },
  testLoss: 1.1 / epoch + 0.05,
  testAccuracy: 0.68 + 0.05 * epoch,
  lr: 0.1 * 0.5 ** (epoch - 1),
  monitors: { grad_norm: 2 / epoch, param_norm: 10 + epoch, grad_variance: 0.5 / epoch },
  imagesPerSecond: 1000,
  seconds: 2,
}));

/** 3 epochs of 30 steps; ‖θ‖ moves by 0.04 in all, the range whose ticks all read 19.8 before. */
function stepLog(): StepLog {
  const n = 90;
  const at = (f: (s: number) => number) => Array.from({ length: n }, (_, i) => f(i + 1));
  return {
    step: at((s) => s),
    epoch: at((s) => Math.ceil(s / 30)),
    loss: at((s) => 1 / (1 + s / 30) + 0.2 * Math.sin(s * 2.1)),
    accuracy: at((s) => 0.7 + s / 600),
    lr: at((s) => 0.1 * 0.5 ** Math.floor((s - 1) / 30)),
    terms: { penalty: at(() => 0.05) },
    monitors: {
      grad_norm: at((s) => 2 / (1 + s / 30)),
      param_norm: at((s) => 19.8 + s * 0.00045),
      grad_variance: at((s) => 0.5 / (1 + s / 30)),
    },
  };
}

/** Each line chart and how many series its legend lists. */
const CHARTS: Record<string, number> = {
  'loss.svg': 4,
  'accuracy.svg': 4,
  'gap.svg': 1,
  'lr.svg': 1,
  'terms.svg': 2,
  'grad-norm.svg': 2,
  'param-norm.svg': 2,
  'grad-variance.svg': 2,
};

describe('report', () => {
  it('chooses round tick values, labelled with the decimals their step needs', () => {
    expect(ticks(0.2, 1.0)).toEqual([0.2, 0.4, 0.6, 0.8, 1]);
    expect(ticks(3, 97)).toEqual([20, 40, 60, 80]);
    const close = ticks(19.8, 19.84);
    expect(close.map((y) => formatTick(y, close[1] - close[0]))).toEqual([
      '19.80',
      '19.81',
      '19.82',
      '19.83',
      '19.84',
    ]);
    expect(formatTick(20000, 5000)).toBe('20000');
    expect(formatTick(0.0003, 0.0001)).toBe('0.0003');
    // a constant series that float rounding made almost constant: one tick, not an endless loop
    expect(ticks(0.05, 0.05 + 1e-17)).toEqual([0.05]);
  });

  it('smooths per-step values with a debiased moving average', () => {
    expect(smoothed([2, 2, 2])).toEqual([2, 2, 2]);
    const noisy = Array.from({ length: 400 }, (_, i) => (i % 2 ? 1 : 3));
    const tail = smoothed(noisy).slice(200);
    for (const v of tail) expect(Math.abs(v - 2)).toBeLessThan(0.2);
  });

  it('computes per-class results from logits: confusion, accuracy, precision, F1', () => {
    // 3 classes; rows of logits whose argmax is the predicted class
    const predicted = [0, 0, 1, 1, 1, 2, 0];
    const labels = [0, 0, 0, 1, 1, 2, 2];
    const logits = Float32Array.from(
      predicted.flatMap((p) => [0, 1, 2].map((k) => (k === p ? 2 : 0))),
    );
    const report = classReport('test', logits, labels, ['a', 'b', 'c']);
    expect(report.confusion).toEqual([
      [2, 1, 0],
      [0, 2, 0],
      [1, 0, 1],
    ]);
    expect(report.accuracy).toBeCloseTo(5 / 7, 12);
    const p = Math.exp(2) / (Math.exp(2) + 2);
    const q = 1 / (Math.exp(2) + 2);
    expect(report.loss).toBeCloseTo(-(5 * Math.log(p) + 2 * Math.log(q)) / 7, 10);
    const [a, b, c] = report.classes;
    expect(a).toMatchObject({ name: 'a', support: 3, correct: 2, recall: 2 / 3, precision: 2 / 3 });
    expect(b).toMatchObject({ support: 2, correct: 2, recall: 1, precision: 2 / 3, f1: 0.8 });
    expect(c).toMatchObject({ support: 2, correct: 1, recall: 0.5, precision: 1 });
  });

  it('renders its plots, the confusion matrix and the per-class table in headless Chromium', async () => {
    const dir = tempDir();
    const names = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress'];
    const labels = Array.from({ length: 40 }, (_, i) => i % 4);
    // every fifth example predicted as the next class
    const logits = Float32Array.from(
      labels.flatMap((l, i) => names.map((_, k) => (k === (i % 5 ? l : (l + 1) % 4) ? 3 : 0))),
    );
    const classes = classReport('test', logits, labels, names);
    const page = writeReport(dir, {
      recipe: 'Baseline',
      specPath: 'specs/x.net',
      sources: new Map([['specs/x.net', 'network X {}']]),
      history,
      steps: stepLog(),
      header: [
        ['optimizer', 'SGD(lr: 0.1, momentum: 0, dampening: 0, weight_decay: 0, nesterov: false)'],
        ['final weights', 'after step 90 (epoch 3)'],
      ],
      classes,
    });
    const csv = readFileSync(join(dir, 'metrics.csv'), 'utf8').split('\n');
    expect(csv[0]).toBe(
      'epoch,trainLoss,trainAccuracy,valLoss,valAccuracy,testLoss,testAccuracy,lr,imagesPerSecond,seconds,gap,penalty,grad_norm,param_norm,grad_variance',
    );
    expect(csv[1].split(',').map(Number)).toEqual([
      1,
      1,
      0.75,
      0,
      0,
      1.1 + 0.05,
      0.68 + 0.05,
      0.1,
      1000,
      2,
      1.1 + 0.05 - 1,
      0.05,
      2,
      11,
      0.5,
    ]);
    const steps = readFileSync(join(dir, 'steps.csv'), 'utf8').trim().split('\n');
    expect(steps[0]).toBe('step,epoch,loss,accuracy,lr,penalty,grad_norm,param_norm,grad_variance');
    expect(steps).toHaveLength(91);
    const jsonl = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n');
    expect(JSON.parse(jsonl[2]).gap).toBeCloseTo(1.1 / 3 + 0.05 - 1 / 3, 12);
    const classesCsv = readFileSync(join(dir, 'classes.csv'), 'utf8').trim().split('\n');
    expect(classesCsv[0]).toBe('index,class,support,correct,accuracy,precision,f1');
    const [index, name, support, correct, ...rates] = classesCsv[1].split(',');
    expect([index, name, support, correct]).toEqual(['0', 'T-shirt/top', '10', '8']);
    for (const rate of rates) expect(Number(rate)).toBeCloseTo(0.8, 12);
    expect(classesCsv).toHaveLength(5);
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
    });
    try {
      const tab = await browser.newPage({ viewport: { width: 1240, height: 900 } });
      await tab.goto(pathToFileURL(page).href);
      const images = await tab.$$eval('img', (imgs) =>
        imgs.map((img) => ({
          src: img.getAttribute('src'),
          width: img.naturalWidth,
          height: img.naturalHeight,
          shown: img.getBoundingClientRect().width * img.getBoundingClientRect().height,
        })),
      );
      expect(images.map((i) => i.src)).toEqual([
        'loss.svg',
        'accuracy.svg',
        'gap.svg',
        'lr.svg',
        'terms.svg',
        'grad-norm.svg',
        'param-norm.svg',
        'grad-variance.svg',
        'confusion.svg',
      ]);
      for (const image of images) {
        expect(image.shown, image.src!).toBeGreaterThan(0);
        if (image.src !== 'confusion.svg') expect(image.width, image.src!).toBe(560);
        else expect(image.width * image.height).toBeGreaterThan(0);
      }
      // the per-class table: a header and one row per class, with the class names
      const classRows = await tab.$$eval('table.classes tr', (rows) =>
        rows.map((r) => [...r.querySelectorAll('td,th')].map((c) => c.textContent)),
      );
      expect(classRows).toHaveLength(5);
      expect(classRows.slice(1).map((r) => r[1])).toEqual(names);
      expect(classRows[1].slice(2, 5)).toEqual(['10', '8', '80.0%']);
      const metricRows = await tab.$$eval('table.metrics tr', (rows) =>
        rows.map((r) => [...r.querySelectorAll('td,th')].map((c) => c.textContent)),
      );
      expect(metricRows).toHaveLength(4);
      expect(metricRows[0]).toContain('gap (held-out − train data loss)');
      expect(metricRows[0]).toContain('penalty λ‖θ‖²');
      expect(metricRows[1][2]).toBe('0.0500');
      // the header: every row given, as label and value
      const headerRows = await tab.$$eval('table.header tr', (rows) =>
        rows.map((r) => [...r.querySelectorAll('td,th')].map((c) => c.textContent)),
      );
      expect(headerRows).toEqual([
        ['optimizer', 'SGD(lr: 0.1, momentum: 0, dampening: 0, weight_decay: 0, nesterov: false)'],
        ['final weights', 'after step 90 (epoch 3)'],
      ]);
      // the spec, shown and linked to its copy beside the page
      expect(await tab.textContent('pre.spec')).toBe('network X {}');
      expect(await tab.getAttribute('h3 a', 'href')).toBe('spec-x.net');
      expect(readFileSync(join(dir, 'spec-x.net'), 'utf8')).toBe('network X {}');
      await tab.screenshot({ path: join(dir, 'page.png'), fullPage: true });

      await tab.goto(pathToFileURL(join(dir, 'loss.svg')).href);
      // raw per step (faint), smoothed, the epoch means and the test loss per epoch
      const paths = await tab.$$eval('path.series', (ps) =>
        ps.map((p) => ({
          length: (p as SVGPathElement).getTotalLength(),
          opacity: p.getAttribute('stroke-opacity'),
        })),
      );
      expect(paths).toHaveLength(4);
      for (const { length } of paths) expect(length).toBeGreaterThan(100);
      expect(paths.map((p) => p.opacity)).toEqual(['0.35', null, null, null]);
      // on a step axis, epochs marked along the top
      const marks = await tab.$$eval('text.mark', (ts) => ts.map((t) => t.textContent));
      expect(marks).toEqual(['epoch 1', 'epoch 2', 'epoch 3']);
      expect(await tab.$$eval('text.x-tick', (ts) => ts.map((t) => t.textContent))).toContain('80');
      expect(
        await tab
          .locator('table tr')
          .count()
          .catch(() => 0),
      ).toBe(0); // the SVG page has no table

      await tab.goto(pathToFileURL(join(dir, 'grad-norm.svg')).href);
      const gradPaths = await tab.$$eval('path.series', (ps) =>
        ps.map((p) => (p as SVGPathElement).getTotalLength()),
      );
      expect(gradPaths).toHaveLength(2);
      for (const length of gradPaths) expect(length).toBeGreaterThan(100);

      // every chart: legends above the plot area, not on the data; tick labels all differ
      for (const chart of Object.keys(CHARTS)) {
        await tab.goto(pathToFileURL(join(dir, chart)).href);
        const layout = await tab.evaluate(() => {
          const box = (e: Element) => e.getBoundingClientRect();
          const frame = [...document.querySelectorAll('rect')].find(
            (r) => r.getAttribute('stroke') === '#888',
          )!;
          return {
            plotTop: box(frame).top,
            legendBottoms: [...document.querySelectorAll('rect.legend')].map((r) => box(r).bottom),
            yTicks: [...document.querySelectorAll('text.y-tick')].map((t) => t.textContent),
          };
        });
        expect(layout.legendBottoms.length, chart).toBe(CHARTS[chart]);
        for (const bottom of layout.legendBottoms)
          expect(bottom, chart).toBeLessThanOrEqual(layout.plotTop);
        expect(new Set(layout.yTicks).size, chart).toBe(layout.yTicks.length);
        expect(layout.yTicks.length, chart).toBeGreaterThan(1);
      }

      await tab.goto(pathToFileURL(join(dir, 'confusion.svg')).href);
      const cells = await tab.$$eval('rect.cell', (rs) =>
        rs.map((r) => {
          const box = r.getBoundingClientRect();
          return {
            row: Number(r.getAttribute('data-row')),
            column: Number(r.getAttribute('data-column')),
            count: Number(r.getAttribute('data-count')),
            area: box.width * box.height,
            fill: getComputedStyle(r).fill,
          };
        }),
      );
      expect(cells).toHaveLength(16);
      for (const c of cells) {
        expect(c.area).toBeGreaterThan(0);
        expect(c.count).toBe(classes.confusion[c.row][c.column]);
      }
      // the diagonal (80% of each row) is darker than an off-diagonal cell with 20%
      const diagonal = cells.find((c) => c.row === 1 && c.column === 1)!;
      const off = cells.find((c) => c.row === 1 && c.column === 2)!;
      const brightness = (fill: string) =>
        (fill.match(/\d+/g) ?? []).map(Number).reduce((a, b) => a + b, 0);
      expect(brightness(diagonal.fill)).toBeLessThan(brightness(off.fill));
      const rowLabels = await tab.$$eval('text.row-label', (ts) => ts.map((t) => t.textContent));
      const columnLabels = await tab.$$eval('text.column-label', (ts) =>
        ts.map((t) => t.textContent),
      );
      expect(rowLabels).toEqual(names);
      expect(columnLabels).toEqual(names);
      const labelBoxes = await tab.$$eval('text.row-label, text.column-label', (ts) =>
        ts.map((t) => t.getBoundingClientRect().width * t.getBoundingClientRect().height),
      );
      for (const area of labelBoxes) expect(area).toBeGreaterThan(0);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
