// Writes the first `count` Fashion-MNIST training images in the seed's formats: two CSV
// spreadsheets, one CSV with a header and a label column, a PNG folder with a label
// spreadsheet, and class-per-subfolder PNGs; and small gzipped IDX subsets.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { idxBytes } from './idx.js';
import { readIdxForTest } from './fashion.js';

export function grayPng(pixels: Uint8Array, w: number, h: number): Buffer {
  const png = new PNG({ width: w, height: h });
  pixels.forEach((v, p) => png.data.set([v, v, v, 255], 4 * p));
  return PNG.sync.write(png, { colorType: 0 });
}

export function writeFashionFiles(dir: string, count: number) {
  const { images, labels } = readIdxForTest('train');
  const image = (i: number) => images.subarray(i * 784, (i + 1) * 784);
  const rows = Array.from({ length: count }, (_, i) => Array.from(image(i)).join(','));
  writeFileSync(join(dir, 'images.csv'), rows.join('\n') + '\n');
  writeFileSync(join(dir, 'labels.csv'), Array.from(labels.subarray(0, count)).join('\n'));
  const header = ['label', ...Array.from({ length: 784 }, (_, p) => `pixel${p}`)].join(';');
  const withLabels = rows.map((r, i) => `${labels[i]};${r.replaceAll(',', ';')}`);
  writeFileSync(join(dir, 'combined.csv'), [header, ...withLabels].join('\r\n') + '\r\n');
  mkdirSync(join(dir, 'png'));
  const sheet = ['filename,label'];
  for (let i = 0; i < count; i++) {
    const name = `img${String(i).padStart(5, '0')}.png`;
    writeFileSync(join(dir, 'png', name), grayPng(image(i), 28, 28));
    sheet.push(`${name},${labels[i]}`);
  }
  writeFileSync(join(dir, 'png', 'labels.csv'), sheet.join('\n') + '\n');
  return { images: images.subarray(0, count * 784), labels: labels.subarray(0, count) };
}

/**
 * The first `train` and `test` Fashion-MNIST examples as gzipped IDX files named as Debian
 * installs them, under `dir/fashion-mnist/`: `--data dir` makes the seed's specs train on them.
 */
export function writeFashionSubset(dir: string, counts: { train: number; test: number }): void {
  mkdirSync(join(dir, 'fashion-mnist'), { recursive: true });
  for (const [split, count] of [
    ['train', counts.train],
    ['t10k', counts.test],
  ] as const) {
    const { images, labels } = readIdxForTest(split);
    const path = (kind: string) =>
      join(dir, 'fashion-mnist', `${split}-${kind}-idx${kind === 'images' ? 3 : 1}-ubyte.gz`);
    writeFileSync(
      path('images'),
      gzipSync(idxBytes([count, 28, 28], images.subarray(0, count * 784))),
    );
    writeFileSync(path('labels'), gzipSync(idxBytes([count], labels.subarray(0, count))));
  }
}
