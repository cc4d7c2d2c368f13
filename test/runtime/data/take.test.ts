// `take: N` / `take: 10%` on a source or a split: a seeded subset (stratified when asked), checked
// where it is written — zero, negative or fractional counts by the checker, more than the data
// holds when the data is loaded — and used alike by `check`, `data` and `train`.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkSpec } from '../../../compiler/index.js';
import { loadDataset } from '../../../runtime/data/dataset.js';
import { UserError } from '../../../runtime/errors.js';
import { analyze } from '../../../runtime/lsp/analysis.js';
import { Workspace } from '../../../runtime/lsp/workspace.js';
import { writeIdxPair } from '../../helpers/idx.js';
import { netspec, tempDir } from '../../helpers/spec.js';

const dataset = (train: string, validation = '') => `
dataset D {
  train = ${train}
  ${validation}
}`;

function loaded(text: string, dir: string) {
  const { spec, diagnostics } = checkSpec(text, join(dir, 'x.net'));
  expect(diagnostics.map((d) => d.message)).toEqual([]);
  return loadDataset(spec.datasets.get('D')!, undefined, [dir]);
}

describe('take', () => {
  const dir = tempDir();
  // 200 examples, labels 0…9 in turn; every image differs in its first pixel.
  writeIdxPair(dir, 200);
  const firstPixels = (images: ArrayLike<number>) =>
    Array.from({ length: images.length / 784 }, (_, i) => images[i * 784]);

  it('takes a seeded subset of a count or a fraction, the same on every load', () => {
    const a = loaded(dataset('idx("images", "labels", take: 50)'), dir).train;
    const b = loaded(dataset('idx("images", "labels", take: 50)'), dir).train;
    const c = loaded(dataset('idx("images", "labels", take: 50, take_seed: 1)'), dir).train;
    expect(a.count).toBe(50);
    expect(a.labels).toEqual(b.labels);
    expect(firstPixels(a.images)).toEqual(firstPixels(b.images));
    expect(firstPixels(c.images)).not.toEqual(firstPixels(a.images));
    expect(loaded(dataset('idx("images", "labels", take: 10%)'), dir).train.count).toBe(20);
  });

  it('keeps every class share when stratified', () => {
    const split = loaded(
      dataset('idx("images", "labels", take: 30%, take_stratify: true, take_seed: 4)'),
      dir,
    ).train;
    const counts = new Array(10).fill(0);
    for (const label of split.labels) counts[label]++;
    expect(counts).toEqual(new Array(10).fill(6));
  });

  it('applies to a split of train, after the split', () => {
    const data = loaded(
      dataset('idx("images", "labels", take: 100)', 'validation = split(train, 40%, take: 10)'),
      dir,
    );
    expect([data.train.count, data.validation!.count]).toEqual([60, 10]);
  });

  it('more examples than the data holds: a data error at take', () => {
    const text = dataset('idx("images", "labels", take: 500)');
    let error: unknown;
    try {
      loaded(text, dir);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UserError);
    const { message, at } = error as UserError;
    expect(message).toMatch(/^take: 500, but .*images has 200 examples$/);
    expect(at!.span.start).toMatchObject({ line: 3, column: 41 });
  });

  it('zero, negative, fractional counts and non-numbers: diagnostics at the value', () => {
    const messages = (take: string) =>
      checkSpec(dataset(`idx("images", "labels", take: ${take})`), 'x.net').diagnostics.map(
        (d) => `${d.span.start.line}:${d.span.start.column} ${d.message}`,
      );
    expect(messages('0')).toEqual(["3:41 idx: 'take' must be more than 0 examples, found 0"]);
    expect(messages('-5')).toEqual(["3:41 idx: 'take' must be more than 0 examples, found -5"]);
    expect(messages('2.5')).toEqual([
      "3:41 idx: 'take' must be a fraction below 1 (10%) or a whole count, found 2.5",
    ]);
    expect(messages('"all"')).toEqual([
      "3:41 idx: 'take' must be a count of examples (5000) or a fraction (10%)",
    ]);
    const split = checkSpec(
      dataset('idx("images", "labels")', 'validation = split(train, 10%, take: 0)'),
      'x.net',
    ).diagnostics.map((d) => d.message);
    expect(split).toEqual(["split: 'take' must be more than 0 examples, found 0"]);
    // the editor reports it where it is written, from the same checker
    const editor = analyze(
      new Workspace(() => undefined),
      dataset('idx("images", "labels", take: -5)'),
      'file:///x.net',
    );
    expect(editor.diagnostics.map((d) => [d.span.start.line, d.span.start.column])).toEqual([
      [3, 41],
    ]);
  });

  it('check, data and train use it; too many is an error at its position in each', () => {
    const spec = (take: number) => `
dataset D { train = idx("images", "labels", take: ${take})  test = idx("images", "labels", take: 20) }
network N {
  input x: [1, 28, 28]
  x -> Flatten -> Linear(784, 10)
}
train T { model = N()  data = D, batch: 10  loss = cross_entropy  optimizer = SGD(lr: 0.1)  epochs = 1 }`;
    writeFileSync(join(dir, 'ok.net'), spec(40));
    expect(netspec(['check', 'ok.net'], dir).status).toBe(0);
    const data = netspec(['data', 'ok.net'], dir);
    expect(data.stdout).toMatch(/train +40 examples .*take 40 of 200, seed 0\)/);
    const train = netspec(['train', 'ok.net', '--out', 'run'], dir);
    expect(train.stderr).toBe('');
    expect(train.stdout).toContain('(40 train, 20 test), 1 epoch\n');
    writeFileSync(join(dir, 'big.net'), spec(201));
    for (const command of ['data', 'train']) {
      const result = netspec([command, 'big.net'], dir);
      expect(result.status, command).toBe(1);
      expect(result.stderr).toMatch(
        /^big\.net:2:51: error NS\d+: take: 201, but .*has 200 examples\n$/,
      );
    }
  });
});
