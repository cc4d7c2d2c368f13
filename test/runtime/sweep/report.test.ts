// The sweep report renders in a real browser (Debian's headless Chromium): the trials ranked by
// their best validation accuracy (a failed and an unfinished trial last), every plot loading,
// the validation curves overlaid (one line per trial) and each key's effect (one dot per trial).
// sweep.csv has the same ranking, final and best metrics.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { TrialRow } from '../../../runtime/sweep/collect.js';
import type { SweepManifest } from '../../../runtime/sweep/folder.js';
import { writeSweepReport } from '../../../runtime/sweep/report.js';
import type { EpochMetrics } from '../../../runtime/train.js';
import { tempDir } from '../../helpers/spec.js';
import { sweepTable } from '../../helpers/sweep.js';

const lrs = ['0.01', '0.03', '0.1'];
const seeds = ['1', '2'];
const trials = lrs.flatMap((lr, i) =>
  seeds.map((seed, j) => ({
    index: 2 * i + j,
    name: `trial-${2 * i + j}`,
    settings: [
      { key: 'optimizer.lr', value: lr },
      { key: 'seed', value: seed },
    ],
  })),
);
const manifest: SweepManifest = {
  format: 'netspec-sweep',
  version: 1,
  spec: 'specs/fashion-cnn.net',
  sweep: 'Rates',
  recipe: 'Baseline',
  keys: ['optimizer.lr', 'seed'],
  trials,
};

/** Three epochs whose validation accuracy peaks at `peak` in epoch 2. */
function history(peak: number): EpochMetrics[] {
  return [1, 2, 3].map((epoch) => ({
    epoch,
    trainLoss: 1 / epoch,
    trainAccuracy: 0.6 + 0.1 * epoch,
    valLoss: 1.2 / epoch,
    valAccuracy: epoch === 2 ? peak : peak - 0.05,
    lr: 0.01,
    imagesPerSecond: 1000,
    seconds: 2,
  }));
}

const peaks = [0.8, 0.82, 0.86, 0.84, 0.7, 0.72];
const rows: TrialRow[] = trials.map((trial, k) => {
  if (k === 4)
    return {
      trial,
      result: { status: 'failed', error: 'mlp.net:3:9: error NS2001: gone' },
      history: [],
    };
  if (k === 5) return { trial, history: history(peaks[k]).slice(0, 1) };
  return { trial, result: { status: 'done' }, history: history(peaks[k]) };
});

describe('sweep report', () => {
  it('ranks the trials in sweep.csv, final and best metrics per trial', () => {
    const dir = tempDir();
    writeSweepReport(dir, manifest, rows);
    const table = sweepTable(dir);
    expect(table.map((r) => r.name)).toEqual([
      'trial-2',
      'trial-3',
      'trial-1',
      'trial-0',
      'trial-4',
      'trial-5',
    ]);
    expect(table[0]).toMatchObject({
      rank: '1',
      'optimizer.lr': '0.03',
      seed: '1',
      status: 'done',
      epochs: '3',
      best_val_accuracy: '0.86',
      final_val_accuracy: String(0.86 - 0.05),
      best_val_loss: String(1.2 / 3),
    });
    expect(table[4]).toMatchObject({ status: 'failed', error: 'mlp.net:3:9: error NS2001: gone' });
    expect(table[5]).toMatchObject({ status: 'not finished', epochs: '1' });
    const header = readFileSync(join(dir, 'sweep.csv'), 'utf8').split('\n')[0];
    expect(header).toBe(
      'rank,trial,name,optimizer.lr,seed,status,epochs,final_train_loss,final_train_accuracy,final_val_loss,final_val_accuracy,best_val_loss,best_val_accuracy,stopped,seconds,error',
    );
  });

  it('renders the ranking, overlaid curves and each setting’s effect in headless Chromium', async () => {
    const dir = tempDir();
    const page = writeSweepReport(dir, manifest, rows);
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
    });
    try {
      const tab = await browser.newPage({ viewport: { width: 1240, height: 900 } });
      await tab.goto(pathToFileURL(page).href);
      const ranked = await tab.$$eval('tr.trial', (trs) =>
        trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)),
      );
      expect(ranked.map((r) => r[1])).toEqual([
        'trial-2',
        'trial-3',
        'trial-1',
        'trial-0',
        'trial-4',
        'trial-5',
      ]);
      expect(ranked[0].slice(2, 6)).toEqual(['0.03', '1', 'done', '86.0%']);
      expect(ranked[4][ranked[4].length - 1]).toBe('mlp.net:3:9: error NS2001: gone');
      const images = await tab.$$eval('img', (imgs) =>
        imgs.map((img) => ({ src: img.getAttribute('src'), width: img.naturalWidth })),
      );
      expect(images.map((i) => i.src)).toEqual([
        'curves-accuracy.svg',
        'curves-loss.svg',
        'effect-0.svg',
        'effect-1.svg',
      ]);
      for (const image of images) expect(image.width).toBeGreaterThan(0);
      // Curves: one line per trial with more than one epoch.
      await tab.goto(pathToFileURL(join(dir, 'curves-accuracy.svg')).href);
      expect(await tab.$$eval('path.series', (p) => p.length)).toBe(4);
      // The learning rate's effect: a dot per trial with a score, three values along x.
      await tab.goto(pathToFileURL(join(dir, 'effect-0.svg')).href);
      const labels = await tab.$$eval('text', (t) => t.map((e) => e.textContent));
      for (const lr of lrs) expect(labels).toContain(lr);
      expect(await tab.$$eval('circle', (c) => c.length)).toBe(5 + 3);
      expect(await tab.$$eval('path.series', (p) => p.length)).toBe(1);
    } finally {
      await browser.close();
    }
  });
});
