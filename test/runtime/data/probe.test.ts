// Data as `check` and the editor see it: a missing file, a spreadsheet with the wrong columns
// and labels beyond the model's classes are warnings at the file's name in the spec (errors
// with `check --data`), and a file is read again only when it changes.
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkSpec } from '../../../compiler/index.js';
import { DataFacts, dataWarnings } from '../../../runtime/data/probe.js';
import { writeIdxPair } from '../../helpers/idx.js';
import { netspec, tempDir } from '../../helpers/spec.js';

const NETWORK = `network MLP {
  input x: [1, 4, 4]
  x -> Flatten -> Linear(16, 10)
}
`;

function spec(dataset: string): string {
  return `${dataset}\n${NETWORK}\ntrain T {\n  model = MLP()\n  data = D\n  loss = cross_entropy\n  optimizer = SGD(lr: 0.1)\n  epochs = 1\n}\n`;
}

/** Writes the spec into `dir` and returns its data warnings as `line:col code message`. */
function warnings(dir: string, text: string, facts = new DataFacts(), strict = false): string[] {
  const file = join(dir, 'spec.net');
  writeFileSync(file, text);
  const checked = checkSpec(text, file);
  expect(checked.diagnostics).toEqual([]);
  return dataWarnings(checked.spec, facts, { roots: [], strict }).map(
    (d) => `${d.span.start.line}:${d.span.start.column} ${d.severity} ${d.code} ${d.message}`,
  );
}

/** A CSV of `rows` rows of `columns` numbers; column `label` (if any) counts 0, 1, … */
function csv(rows: number, columns: number, label?: number): string {
  const row = (r: number) =>
    Array.from({ length: columns }, (_, c) => (c === label ? r : (r + c) % 256)).join(',');
  return Array.from({ length: rows }, (_, r) => row(r)).join('\n') + '\n';
}

describe('data warnings', () => {
  it('name a missing file where the spec names it', () => {
    const dir = tempDir();
    const found = warnings(
      dir,
      spec('dataset D {\n  train = idx("nope-images.gz", "nope-labels.gz")\n}'),
    );
    expect(found).toEqual([
      expect.stringMatching(
        /^2:15 warning NS2001 cannot find data file 'nope-images.gz' \(looked in /,
      ),
    ]);
  });

  it('report a spreadsheet whose rows do not fit the declared shape', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'pixels.csv'), csv(3, 17));
    writeFileSync(join(dir, 'labels.csv'), '0\n1\n2\n');
    const text = spec(
      'dataset D {\n  train = csv(images: "pixels.csv", labels: "labels.csv", shape: [1, 4, 4])\n}',
    );
    expect(warnings(dir, text)).toEqual([
      "2:23 warning NS2003 'pixels.csv' has 17 columns per row, but shape [1, 4, 4] needs 16 pixel columns",
    ]);
  });

  it("report labels beyond the model's classes, in an IDX file and in a spreadsheet column", () => {
    const dir = tempDir();
    const idx = writeIdxPair(dir, 20, { classes: 12 });
    const text = spec(`dataset D {\n  train = idx("${idx.images}", "${idx.labels}")\n}`);
    expect(warnings(dir, text)).toEqual([
      "2:25 warning NS2003 labels in 'labels' go up to 11, but model 'MLP' of train 'T' outputs 10 classes",
    ]);
    writeFileSync(join(dir, 'table.csv'), csv(14, 17, 0));
    const column = spec(
      'dataset D {\n  train = csv(images: "table.csv", label_column: 0, shape: [1, 4, 4])\n}',
    );
    expect(warnings(dir, column)).toEqual([
      "2:23 warning NS2003 labels in 'table.csv' go up to 13, but model 'MLP' of train 'T' outputs 10 classes",
    ]);
    writeFileSync(join(dir, 'table.csv'), csv(10, 17, 0));
    expect(warnings(dir, column)).toEqual([]);
  });

  it('read a file again only when its size or modification time changes', () => {
    const dir = tempDir();
    const idx = writeIdxPair(dir, 20, { classes: 10 });
    const text = spec(`dataset D {\n  train = idx("${idx.images}", "${idx.labels}")\n}`);
    const facts = new DataFacts();
    expect(warnings(dir, text, facts)).toEqual([]);
    // Same size, same time: the remembered labels hold (the file is not read again) …
    const labels = join(dir, idx.labels);
    const before = new Date('2020-01-01T00:00:00Z');
    utimesSync(labels, before, before);
    expect(warnings(dir, text, facts)).toEqual([]);
    writeIdxPair(dir, 20, { classes: 12 });
    utimesSync(labels, before, before);
    expect(warnings(dir, text, facts)).toEqual([]);
    // … a new modification time makes it read again.
    const later = new Date('2021-01-01T00:00:00Z');
    utimesSync(labels, later, later);
    expect(warnings(dir, text, facts)).toHaveLength(1);
  });

  it('are errors with `check --data`, warnings otherwise; `--data DIR` is looked in', () => {
    const dir = tempDir();
    const text = spec('dataset D {\n  train = idx("images.gz", "labels.gz")\n}');
    writeFileSync(join(dir, 'spec.net'), text);
    const plain = netspec(['check', 'spec.net'], dir);
    expect(plain.status).toBe(0);
    expect(plain.stderr).toContain(
      "spec.net:2:15: warning NS2001: cannot find data file 'images.gz'",
    );
    expect(plain.stderr).toContain('0 errors, 1 warning');
    const strict = netspec(['check', 'spec.net', '--data'], dir);
    expect(strict.status).toBe(1);
    expect(strict.stderr).toContain(
      "spec.net:2:15: error NS2001: cannot find data file 'images.gz'",
    );
    mkdirSync(join(dir, 'data'));
    writeIdxPair(join(dir, 'data'), 4, { gzip: true });
    const found = netspec(['check', 'spec.net', '--data', 'data'], dir);
    expect(found).toMatchObject({ status: 0, stderr: '', stdout: 'spec.net: ok\n' });
  });
});
