// Bad spreadsheets and image folders: each a one-line error naming file:row(:column) and what
// is wrong, exit code 1, nothing written.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { beforeAll, describe, expect, it } from 'vitest';
import { grayPng } from '../../helpers/fashion-files.js';
import { netspec, oneEpochSpec, tempDir } from '../../helpers/spec.js';

const row = (value: (p: number) => string | number, count = 784) =>
  Array.from({ length: count }, (_, p) => value(p)).join(',');

function trainIn(dir: string, source: string) {
  writeFileSync(join(dir, 'spec.net'), oneEpochSpec(source));
  const out = join(dir, 'run');
  rmSync(out, { recursive: true, force: true });
  const result = netspec(['train', 'spec.net', '--out', out], dir);
  return { ...result, wroteOutput: existsSync(out) };
}

function expectOneLine(result: ReturnType<typeof trainIn>, code: string, ...fragments: string[]) {
  expect(result.status, result.stderr).toBe(1);
  expect(result.wroteOutput).toBe(false);
  const lines = result.stderr.trim().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toContain(`error ${code}`);
  for (const fragment of fragments) expect(lines[0]).toContain(fragment);
}

describe('CSV and image-folder errors', () => {
  let dir: string;
  const good = row((p) => p % 256);
  beforeAll(() => {
    dir = tempDir();
    writeFileSync(join(dir, 'labels.csv'), '1\n2\n3\n');
    writeFileSync(join(dir, 'good.csv'), [good, good, good].join('\n'));
    writeFileSync(join(dir, 'short-row.csv'), [good, good, row(() => 0, 783)].join('\n'));
    writeFileSync(join(dir, 'abc.csv'), [good, row((p) => (p === 4 ? 'abc' : 0)), good].join('\n'));
    writeFileSync(join(dir, 'big.csv'), [good, row((p) => (p === 4 ? 300 : 0)), good].join('\n'));
    writeFileSync(join(dir, 'bad-labels.csv'), '1\n2\n12\n');
    writeFileSync(join(dir, 'two-labels.csv'), '1\n2\n');
    mkdirSync(join(dir, 'png'));
    writeFileSync(join(dir, 'png', 'a.png'), grayPng(new Uint8Array(784), 28, 28));
    const png = grayPng(new Uint8Array(784).fill(7), 28, 28);
    writeFileSync(join(dir, 'png', 'broken.png'), png.subarray(0, png.length >> 1)); // truncated
    writeFileSync(join(dir, 'png', 'missing.csv'), 'filename,label\na.png,1\nnowhere.png,2\n');
    writeFileSync(join(dir, 'png', 'broken.csv'), 'a.png,1\nbroken.png,2\n');
    // A JPEG whose first component names quantization table 3, which the file does not hold.
    const rgba = { data: Buffer.alloc(28 * 28 * 4, 128), width: 28, height: 28 };
    const jpg = Buffer.from(jpeg.encode(rgba, 90).data);
    jpg[jpg.indexOf(Buffer.from([0xff, 0xc0])) + 12] = 3;
    writeFileSync(join(dir, 'png', 'table.jpg'), jpg);
    writeFileSync(join(dir, 'png', 'table.csv'), 'a.png,1\ntable.jpg,2\n');
  });
  const csv = (images: string, labels = 'labels.csv') =>
    `csv(images: "${images}", labels: "${labels}")`;

  it('trains on the good file', () => {
    const result = trainIn(dir, csv('good.csv'));
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('a row with the wrong number of columns', () => {
    expectOneLine(
      trainIn(dir, csv('short-row.csv')),
      'NS2002',
      'short-row.csv:3:',
      'row has 783 columns, expected 784',
    );
  });

  it('a pixel that is not an integer', () => {
    expectOneLine(
      trainIn(dir, csv('abc.csv')),
      'NS2002',
      'abc.csv:2:5:',
      // Text that is not a number is not quoted: a message never shows another kind of file.
      'pixel is not an integer (found text that is not a number)',
    );
  });

  it('a cell of two numbers (1 2) is an error, not 12', () => {
    writeFileSync(join(dir, 'gap.csv'), [good, row((p) => (p === 4 ? '1 2' : 0)), good].join('\n'));
    expectOneLine(
      trainIn(dir, csv('gap.csv')),
      'NS2002',
      'gap.csv:2:5:',
      "pixel '1 2' is not an integer",
    );
  });

  it('a UTF-8 byte-order mark before the first row is skipped', () => {
    writeFileSync(join(dir, 'bom.csv'), '\ufeff' + [good, good, good].join('\n'));
    writeFileSync(join(dir, 'bom-labels.csv'), '\ufeff1\n2\n3\n');
    const result = trainIn(dir, csv('bom.csv', 'bom-labels.csv'));
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('a label error names its line, blank lines counted', () => {
    writeFileSync(join(dir, 'blank-labels.csv'), '1\n\n2\n\n\n12\n');
    expectOneLine(
      trainIn(dir, csv('good.csv', 'blank-labels.csv')),
      'NS2003',
      'blank-labels.csv:6:',
      'label 12 is out of range for 10 classes',
    );
    writeFileSync(join(dir, 'label-column.csv'), `\n5,${good}\n\n12,${good}\n`);
    const column = 'csv(images: "label-column.csv", label_column: 0)';
    expectOneLine(
      trainIn(dir, column),
      'NS2003',
      'label-column.csv:4:1',
      'label 12 is out of range',
    );
  });

  it('a pixel out of range', () => {
    expectOneLine(
      trainIn(dir, csv('big.csv')),
      'NS2002',
      'big.csv:2:5:',
      'pixel 300 is out of range 0–255',
    );
  });

  it('a label out of range for the network', () => {
    expectOneLine(
      trainIn(dir, csv('good.csv', 'bad-labels.csv')),
      'NS2003',
      'bad-labels.csv:3:',
      'label 12 is out of range for 10 classes',
    );
  });

  it('fewer labels than images', () => {
    expectOneLine(
      trainIn(dir, csv('good.csv', 'two-labels.csv')),
      'NS2003',
      'has 2 labels',
      'has 3 images',
    );
  });

  it('an image the spreadsheet lists but the folder lacks', () => {
    const result = trainIn(dir, 'images("png", labels: "png/missing.csv")');
    expectOneLine(result, 'NS2001', 'missing.csv:3:', "image 'nowhere.png' does not exist");
  });

  it('an unreadable PNG', () => {
    const result = trainIn(dir, 'images("png", labels: "png/broken.csv")');
    expectOneLine(result, 'NS2002', 'broken.png: cannot decode PNG');
  });

  it("a JPEG the decoder trips on: what is wrong, not the decoder's own error", () => {
    const result = trainIn(dir, 'images("png", labels: "png/table.csv")');
    expectOneLine(result, 'NS2002', 'table.jpg: cannot decode JPEG (corrupt or truncated data)');
  });
});
