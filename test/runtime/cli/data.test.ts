// `netspec data`: counts per split, class frequencies, pixel statistics, the transform with
// its `auto` statistics (computed once, then read from the cache), and a grid of samples.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeFashionFiles } from '../../helpers/fashion-files.js';
import { netspec, tempDir } from '../../helpers/spec.js';

const SPEC = `
dataset Arabic {
  train = csv(images: "images.csv", labels: "labels.csv", shape: [1, 28, 28], scale: 1/255)
  validation = split(train, 10%, seed: 7, stratify: true)
  classes = ["T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
}
transform Augment {
  RandomCrop(28, padding: 4)
  RandomAffine(degrees: 90)
  ColorJitter(brightness: 0.2, contrast: 0.2)
  Normalize(mean: auto, std: auto)
}
network MLP {
  input x: [1, 28, 28]
  x -> Flatten -> Linear(784, 10)
}
train T {
  model = MLP()
  data = Arabic, batch: 64, transform: Augment
  loss = cross_entropy
  optimizer = SGD(lr: 0.01)
  epochs = 1
}
`;

describe('netspec data', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir();
    writeFashionFiles(dir, 1000);
    writeFileSync(join(dir, 'spec.net'), SPEC);
  });

  it('describes the splits, classes and statistics, and draws a grid', () => {
    const first = netspec(['data', 'spec.net', '--grid', 'grid.png'], dir);
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/train\s+900 examples\s+\[1, 28, 28\]/);
    expect(first.stdout).toMatch(/validation\s+100 examples/);
    expect(first.stdout).toMatch(/Ankle boot/);
    expect(first.stdout).toMatch(/pixels\s+mean \[0\.\d{4}\]\s+std \[0\.\d{4}\]/);
    expect(first.stdout).toContain('(auto, for transform Augment)');
    expect(first.stdout).toContain('RandomCrop* → RandomAffine* → ColorJitter* → Normalize');
    const grid = PNG.sync.read(readFileSync(join(dir, 'grid.png')));
    // 8 × 8 tiles of 84 pixels (3× enlarged), a line of text under each (data-grid.test.ts)
    expect(grid.width).toBe(8 * (84 + 6) + 6);
    expect(first.stdout).toContain('3× enlarged, labelled with their class; Normalize undone');
    expect(existsSync(join(dir, '.netspec-cache'))).toBe(true);
    const second = netspec(['data', 'spec.net'], dir);
    expect(second.stdout).toContain('(auto, for transform Augment, cached)');
  });

  it('bad data is one line, exit 1', () => {
    writeFileSync(join(dir, 'bad.net'), SPEC.replace('"labels.csv"', '"images.csv"'));
    const result = netspec(['data', 'bad.net'], dir);
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('images.csv:1: row has 784 columns, expected 1');
  });
});
