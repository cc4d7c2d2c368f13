// Spreadsheets of decimal pixels (`dtype: float32`, with `scale`): read as written, the same
// tensors as the whole-number file they came from, trained on; a value outside [0, 1] after
// scaling is an error naming file, row and column. A header row that was not declared, or
// decimal pixels in a whole-number source, get a hint saying what to add.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkSpec } from '../../../compiler/index.js';
import { batches, epochOrder } from '../../../runtime/data/batches.js';
import { loadDataset } from '../../../runtime/data/dataset.js';
import { readIdxForTest } from '../../helpers/fashion.js';
import { netspec, tempDir } from '../../helpers/spec.js';

const COUNT = 40;

const spec = (source: string) => `
dataset D {
  train = ${source}
}
network MLP {
  input x: [1, 28, 28]
  x -> Flatten -> Linear(784, 10)
}
train T { model = MLP()  data = D, batch: 8  loss = cross_entropy  optimizer = SGD(lr: 0.1)  epochs = 1 }
`;

function load(dir: string, source: string) {
  const { spec: checked, diagnostics } = checkSpec(spec(source), join(dir, 'x.net'));
  expect(diagnostics.map((d) => d.message)).toEqual([]);
  return loadDataset(checked.datasets.get('D')!, undefined, [dir]).train;
}

function train(dir: string, source: string) {
  writeFileSync(join(dir, 'spec.net'), spec(source));
  return netspec(['train', 'spec.net', '--out', 'run'], dir);
}

describe('float pixels in a spreadsheet', () => {
  let dir: string;
  const { images, labels } = readIdxForTest('train');
  const rows = (cell: (v: number) => string) =>
    Array.from({ length: COUNT }, (_, i) =>
      Array.from(images.subarray(i * 784, (i + 1) * 784), cell).join(','),
    ).join('\n');
  beforeAll(() => {
    dir = tempDir();
    writeFileSync(join(dir, 'labels.csv'), Array.from(labels.subarray(0, COUNT)).join('\n'));
    writeFileSync(
      join(dir, 'unit.csv'),
      rows((v) => (v / 255).toFixed(4)),
    );
    writeFileSync(join(dir, 'bytes.csv'), rows(String));
    writeFileSync(
      join(dir, 'bytes-as-float.csv'),
      rows((v) => `${v}.0`),
    );
  });

  it('reads decimal pixels as written, scaled, the same tensors as the whole numbers', () => {
    const floats = load(
      dir,
      'csv(images: "unit.csv", labels: "labels.csv", dtype: float32, scale: 1)',
    );
    const whole = load(dir, 'csv(images: "bytes.csv", labels: "labels.csv")');
    const scaled = load(
      dir,
      'csv(images: "bytes-as-float.csv", labels: "labels.csv", dtype: "float32", scale: 1 / 255)',
    );
    const order = epochOrder(COUNT, false, 0, 0);
    const [a] = batches(floats, order, COUNT);
    const [b] = batches(whole, order, COUNT);
    const [c] = batches(scaled, order, COUNT);
    expect(a.labels).toEqual(b.labels);
    // written with 4 decimals
    for (let i = 0; i < a.images.length; i++)
      expect(Math.abs(a.images[i] - b.images[i])).toBeLessThan(5.1e-5);
    expect(Math.max(...c.images.map((v, i) => Math.abs(v - b.images[i])))).toBeLessThan(1e-7);
  });

  it('trains on them', () => {
    const result = train(
      dir,
      'csv(images: "unit.csv", labels: "labels.csv", dtype: float32, scale: 1)',
    );
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('training T: MLP on D (40 train, 0 test), 1 epoch');
  });

  it('a value outside [0, 1] after scaling: an error naming file, row and column', () => {
    const lines = rows((v) => (v / 255).toFixed(4)).split('\n');
    lines[2] = lines[2].replace(/^[^,]*,[^,]*,[^,]*/, '0,0,1.5');
    writeFileSync(join(dir, 'bright.csv'), lines.join('\n'));
    const result = train(
      dir,
      'csv(images: "bright.csv", labels: "labels.csv", dtype: float32, scale: 1)',
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(
      /^error NS\d+: .*bright\.csv:3:3: pixel 1\.5 × scale 1 = 1\.5 is outside \[0, 1\], the range the network's input expects\n$/,
    );
    // the same file as whole numbers over 255 is out of range too
    const over = train(
      dir,
      'csv(images: "bytes-as-float.csv", labels: "labels.csv", dtype: float32, scale: 1)',
    );
    expect(over.stderr).toMatch(
      /bytes-as-float\.csv:1:\d+: pixel \d+\.0 × scale 1 = \d+ is outside \[0, 1\]/,
    );
  });

  it('a header row that was not declared: the error says to add header: true', () => {
    const header = Array.from({ length: 784 }, (_, p) => `pixel${p}`).join(',');
    writeFileSync(join(dir, 'header.csv'), `${header}\n${rows(String)}`);
    writeFileSync(join(dir, 'header-float.csv'), `${header}\n${rows((v) => (v / 255).toFixed(4))}`);
    const whole = train(dir, 'csv(images: "header.csv", labels: "labels.csv")');
    expect(whole.stderr).toMatch(
      /header\.csv:1:1: pixel 'pixel0' is not an integer; if the first row is a header, add `header: true`\n$/,
    );
    const float = train(
      dir,
      'csv(images: "header-float.csv", labels: "labels.csv", dtype: float32, scale: 1)',
    );
    expect(float.stderr).toMatch(
      /header-float\.csv:1:1: pixel 'pixel0' is not a number; if the first row is a header, add `header: true`\n$/,
    );
    // declared, it reads (the labels file then has a header too)
    writeFileSync(
      join(dir, 'labels-header.csv'),
      `label\n${Array.from(labels.subarray(0, COUNT)).join('\n')}`,
    );
    const declared = train(
      dir,
      'csv(images: "header.csv", labels: "labels-header.csv", header: true)',
    );
    expect(declared.stderr).toBe('');
  });

  it('decimal pixels in a whole-number source: the error says to declare dtype: float32', () => {
    const result = train(dir, 'csv(images: "unit.csv", labels: "labels.csv")');
    expect(result.stderr).toMatch(
      /unit\.csv:1:1: pixel '0\.0000' is not an integer; for decimal pixels, give the source `dtype: float32` \(and the `scale` that maps them to \[0, 1\]\)\n$/,
    );
  });

  it('a row of one cell says "1 column"', () => {
    writeFileSync(join(dir, 'one.csv'), `${rows(String).split('\n')[0]}\n7\n`);
    const result = train(dir, 'csv(images: "one.csv", labels: "labels.csv")');
    expect(result.stderr).toContain('one.csv:2: row has 1 column, expected 784');
  });

  it('dtype is uint8 or float32, and a float32 spreadsheet is not streamed', () => {
    const messages = (source: string) =>
      checkSpec(spec(source), 'x.net').diagnostics.map(
        (d) => `${d.span.start.column} ${d.message}`,
      );
    expect(messages('csv(images: "a.csv", labels: "b.csv", dtype: int8)')).toEqual([
      "56 csv: 'dtype' must be uint8 or float32",
    ]);
    expect(messages('csv(images: "a.csv", labels: "b.csv", dtype: float32, stream: true)')).toEqual(
      [
        '73 csv: stream: true reads whole-number pixels; a float32 spreadsheet is loaded into memory (remove stream)',
      ],
    );
  });
});
