// The run report renders in a real browser (Debian's headless Chromium): every plot image loads
// and draws its series.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { ticks } from '../runtime/report/chart.js';
import { writeReport } from '../runtime/report/report.js';
import { tempDir } from './helpers/spec.js';

const history = [1, 2, 3].map((epoch) => ({
  epoch,
  trainLoss: 1 / epoch,
  trainAccuracy: 0.7 + 0.05 * epoch,
  testLoss: 1.1 / epoch + 0.05,
  testAccuracy: 0.68 + 0.05 * epoch,
  lr: 0.1 * 0.5 ** (epoch - 1),
  imagesPerSecond: 1000,
  seconds: 2,
}));

describe('report', () => {
  it('chooses round tick values', () => {
    expect(ticks(0.2, 1.0)).toEqual([0.2, 0.4, 0.6, 0.8, 1]);
    expect(ticks(3, 97)).toEqual([20, 40, 60, 80]);
  });

  it('renders its plots in headless Chromium', async () => {
    const dir = tempDir();
    const page = writeReport(dir, {
      recipe: 'Baseline',
      specPath: 'specs/x.net',
      sources: new Map([['specs/x.net', 'network X {}']]),
      history,
      summary: ['model MLP'],
    });
    const csv = readFileSync(join(dir, 'metrics.csv'), 'utf8').split('\n');
    expect(csv[0]).toBe(
      'epoch,trainLoss,trainAccuracy,valLoss,valAccuracy,testLoss,testAccuracy,lr,imagesPerSecond,seconds',
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
    ]);
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
      const tab = await browser.newPage();
      await tab.goto(pathToFileURL(page).href);
      const images = await tab.$$eval('img', (imgs) =>
        imgs.map((img) => ({
          src: img.getAttribute('src'),
          width: img.naturalWidth,
          complete: img.complete,
        })),
      );
      expect(images.map((i) => i.src)).toEqual(['loss.svg', 'accuracy.svg', 'gap.svg', 'lr.svg']);
      for (const image of images) expect(image.width, image.src!).toBe(560);
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
    } finally {
      await browser.close();
    }
  }, 60_000);
});
