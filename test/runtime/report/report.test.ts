// The run report renders in a real browser (Debian's headless Chromium): every plot image loads
// and draws its series; the confusion matrix has one cell per (true, predicted) pair and the
// class names; the per-class table has a row per class.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { ticks } from '../../../runtime/report/chart.js';
import { classReport } from '../../../runtime/report/classes.js';
import { writeReport } from '../../../runtime/report/report.js';
import { tempDir } from '../../helpers/spec.js';

const history = [1, 2, 3].map((epoch) => ({
  epoch,
  trainLoss: 1 / epoch,
  trainAccuracy: 0.7 + 0.05 * epoch,
  testLoss: 1.1 / epoch + 0.05,
  testAccuracy: 0.68 + 0.05 * epoch,
  lr: 0.1 * 0.5 ** (epoch - 1),
  monitors: { grad_norm: 2 / epoch, param_norm: 10 + epoch, grad_variance: 0.5 / epoch },
  imagesPerSecond: 1000,
  seconds: 2,
}));

describe('report', () => {
  it('chooses round tick values', () => {
    expect(ticks(0.2, 1.0)).toEqual([0.2, 0.4, 0.6, 0.8, 1]);
    expect(ticks(3, 97)).toEqual([20, 40, 60, 80]);
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
      summary: ['model MLP'],
      classes,
    });
    const csv = readFileSync(join(dir, 'metrics.csv'), 'utf8').split('\n');
    expect(csv[0]).toBe(
      'epoch,trainLoss,trainAccuracy,valLoss,valAccuracy,testLoss,testAccuracy,lr,imagesPerSecond,seconds,gap,grad_norm,param_norm,grad_variance',
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
      2,
      11,
      0.5,
    ]);
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
      expect(metricRows[0]).toContain('gap (held-out − train loss)');
      await tab.screenshot({ path: join(dir, 'page.png'), fullPage: true });

      await tab.goto(pathToFileURL(join(dir, 'loss.svg')).href);
      const paths = await tab.$$eval('path.series', (ps) =>
        ps.map((p) => (p as SVGPathElement).getTotalLength()),
      );
      expect(paths).toHaveLength(2);
      for (const length of paths) expect(length).toBeGreaterThan(100);
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
      expect(gradPaths).toHaveLength(1);
      expect(gradPaths[0]).toBeGreaterThan(100);

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
