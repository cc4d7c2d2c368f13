// Fashion-MNIST written as the seed's two CSV spreadsheets, as one CSV with a header and a
// label column, and as a folder of PNGs with a label spreadsheet: all load to the same bytes
// as the IDX files. Class-per-subfolder folders and validation splits too.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DataSource } from '../../../compiler/index.js';
import { loadSource } from '../../../runtime/data/sources.js';
import { splitOff } from '../../../runtime/data/split.js';
import { computeStats } from '../../../runtime/data/stats.js';
import { grayPng, writeFashionFiles } from '../../helpers/fashion-files.js';
import { tempDir } from '../../helpers/spec.js';

const COUNT = 2000;
const at = (path: string) => ({ path, file: 'spec.net', span: undefined as never });
const SHAPE = [1, 28, 28];

describe('three sources, one tensor', () => {
  let dir: string;
  let idx: { images: Uint8Array; labels: Uint8Array };
  beforeAll(() => {
    dir = tempDir();
    idx = writeFashionFiles(dir, COUNT);
  });
  const load = (source: DataSource) => loadSource(source, [dir]);
  const expectSame = (split: ReturnType<typeof load>) => {
    expect(split.count).toBe(COUNT);
    expect(Buffer.from(split.images).equals(Buffer.from(idx.images))).toBe(true);
    expect(Array.from(split.labels)).toEqual(Array.from(idx.labels));
  };
  const csv = {
    kind: 'csv',
    shape: SHAPE,
    scale: 1 / 255,
    header: false,
    delimiter: 'auto',
  } as const;

  it("the seed's two spreadsheets (no header, no trailing newline on labels)", () => {
    expectSame(load({ ...csv, images: at('images.csv'), labels: at('labels.csv') }));
  });

  it('one file with a header, a named label column, semicolons and CRLF', () => {
    expectSame(load({ ...csv, images: at('combined.csv'), labelColumn: 'label', header: true }));
    expectSame(load({ ...csv, images: at('combined.csv'), labelColumn: 0, header: true }));
  });

  it('a PNG folder with a filename,label spreadsheet', () => {
    expectSame(
      load({ kind: 'images', dir: at('png'), labels: at('png/labels.csv'), shape: SHAPE }),
    );
  });

  it('class-per-subfolder, classes sorted by folder name', () => {
    const root = join(dir, 'folders');
    for (const [name, value] of [
      ['cat', 10],
      ['ant', 200],
    ] as const) {
      mkdirSync(join(root, name), { recursive: true });
      writeFileSync(join(root, name, 'a.png'), grayPng(new Uint8Array(784).fill(value), 28, 28));
    }
    const split = load({ kind: 'images', dir: at('folders'), shape: SHAPE });
    expect(split.classNames).toEqual(['ant', 'cat']);
    expect(Array.from(split.labels)).toEqual([0, 1]);
    expect(split.images[0]).toBe(200);
    expect(split.images[784]).toBe(10);
    const rgb = load({ kind: 'images', dir: at('folders'), shape: [3, 28, 28] });
    expect(rgb.images.length).toBe(2 * 3 * 784);
  });

  it('split: seeded, stratified, disjoint, removed from train', () => {
    const train = load({ ...csv, images: at('images.csv'), labels: at('labels.csv') });
    const spec = { kind: 'split', size: 0.1, seed: 7, stratify: true, at: at('train') } as const;
    const a = splitOff(train, spec);
    expect(a.validation.count).toBe(200);
    expect(a.train.count).toBe(1800);
    const counts = (labels: Int32Array) =>
      Array.from({ length: 10 }, (_, c) => labels.filter((l) => l === c).length);
    const whole = counts(train.labels);
    counts(a.validation.labels).forEach((n, c) =>
      expect(Math.abs(n - whole[c] / 10)).toBeLessThanOrEqual(1),
    );
    const b = splitOff(train, spec);
    expect(Buffer.from(b.validation.images).equals(Buffer.from(a.validation.images))).toBe(true);
    const other = splitOff(train, { ...spec, seed: 8, stratify: false, size: 300 });
    expect(other.validation.count).toBe(300);
    expect(Buffer.from(other.validation.images).equals(Buffer.from(a.validation.images))).toBe(
      false,
    );
  });

  it("standardization statistics are the seed's avg and population std", () => {
    const train = load({ ...csv, images: at('images.csv'), labels: at('labels.csv') });
    const stats = computeStats(train, []);
    const values = Array.from(train.images, (v) => v / 255);
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    const std = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length);
    expect(stats.mean[0]).toBeCloseTo(mean, 10);
    expect(stats.std[0]).toBeCloseTo(std, 10);
  });
});
