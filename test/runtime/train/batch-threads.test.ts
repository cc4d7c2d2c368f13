// Where an augmenting run's batches are made — on the main thread between steps, or by loader
// workers while a step runs (docs/decisions/0024-where-batches-are-made.md) — changes neither
// its numbers nor its errors. Runs the built dist/ (as the CLI does): only built code has a
// worker to start.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { compileRecipe } from '../../../compiler/index.js';
import { grayPng } from '../../helpers/fashion-files.js';
import { netspec, recipeOf, ROOT, tempDir } from '../../helpers/spec.js';
import { tinySplit } from '../../helpers/split.js';

const network = `
transform Augment {
  RandomCrop(28, padding: 4)
  RandomAffine(degrees: 15, translate: [0.1, 0.1])
  ColorJitter(brightness: 0.2, contrast: 0.2)
  Normalize(mean: 0.3, std: 0.35)
}
network MLP {
  input x: [1, 28, 28]
  x -> Flatten -> Linear(784, 16) -> ReLU -> Linear(16, 10)
}
train T {
  model = MLP()
  data = Tiny, batch: 16, shuffle: true, transform: Augment
  loss = cross_entropy
  optimizer = SGD(lr: 0.05, momentum: 0.9)
  epochs = 2
  seed = 3
}
`;
const spec = `dataset Tiny {\n  train = idx("images", "labels")\n}\n${network}`;

const saved = process.env.NETSPEC_LOADER_WORKERS;
afterEach(() => {
  if (saved === undefined) delete process.env.NETSPEC_LOADER_WORKERS;
  else process.env.NETSPEC_LOADER_WORKERS = saved;
});

/** Two epochs of the spec with `workers` loader workers (0: batches made on the main thread). */
async function trainWith(workers: number) {
  const built = (await import(
    `${ROOT}/dist/runtime/train.js`
  )) as typeof import('../../../runtime/train.js');
  process.env.NETSPEC_LOADER_WORKERS = String(workers);
  const recipe = recipeOf(spec);
  return built.train(
    recipe,
    compileRecipe(recipe),
    { train: tinySplit(200) },
    { epochs: 2, threads: 1, device: 'cpu', stepsPerRun: 1 },
  );
}

describe('batches made on the main thread or by workers', () => {
  it('train to the same numbers, bit for bit', async () => {
    const main = await trainWith(0);
    const workers = await trainWith(2);
    expect(workers.steps.loss).toEqual(main.steps.loss);
    expect(workers.history.map((e) => e.trainLoss)).toEqual(main.history.map((e) => e.trainLoss));
    expect(main.steps.loss).toHaveLength(2 * Math.ceil(200 / 16));
    for (const [name, values] of main.weights) expect(workers.weights.get(name)).toEqual(values);
    // The epochs differ (their augmentation and order are drawn per epoch), so equal runs are
    // not equal by accident.
    expect(main.history[0].trainLoss).not.toBe(main.history[1].trainLoss);
  });

  it('an image found bad mid-epoch is one line and exit code 1 either way', () => {
    const dir = tempDir();
    const names = Array.from({ length: 40 }, (_, i) => `ok${i}.png`);
    for (const name of names) writeFileSync(join(dir, name), grayPng(new Uint8Array(784), 28, 28));
    writeFileSync(join(dir, 'ok30.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10, 1]));
    writeFileSync(join(dir, 'sheet.csv'), names.map((n) => `${n},${n.length % 10}`).join('\n'));
    const streamed =
      'dataset Tiny {\n  train = images(".", labels: "sheet.csv", shape: [1, 28, 28], stream: true)\n}\n';
    writeFileSync(
      join(dir, 'spec.net'),
      streamed + network.replace('shuffle: true', 'shuffle: false'),
    );
    for (const workers of ['0', '1']) {
      const env = { ...process.env, NETSPEC_LOADER_WORKERS: workers };
      const result = netspec(
        ['train', 'spec.net', '--out', `run-${workers}`, '--threads', '1'],
        dir,
        env,
      );
      expect(result.status, result.stderr).toBe(1);
      const lines = result.stderr.trim().split('\n');
      expect(lines, result.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(/error NS2002: .*ok30\.png: cannot decode PNG/);
    }
  });
});
