// The training loop measures how long it waits for its batches (`EpochMetrics.dataSeconds`):
// part of the epoch's time, reported per epoch, and in `netspec train --json`'s epoch events.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileRecipe } from '../../../compiler/index.js';
import { train } from '../../../runtime/train.js';
import { tinySpec, writeIdxPair } from '../../helpers/idx.js';
import { netspec, recipeOf, tempDir } from '../../helpers/spec.js';
import { tinySplit } from '../../helpers/split.js';

const spec = `
dataset Tiny {
  train = idx("images", "labels")
}
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
  data = Tiny, batch: 16, transform: Augment
  loss = cross_entropy
  optimizer = SGD(lr: 0.01)
  epochs = 2
  seed = 3
}
`;

describe('time waiting for data', () => {
  it('is part of each epoch', async () => {
    const recipe = recipeOf(spec);
    const result = await train(
      recipe,
      compileRecipe(recipe),
      { train: tinySplit(256) },
      { epochs: 2, threads: 1, device: 'cpu' },
    );
    expect(result.history).toHaveLength(2);
    for (const epoch of result.history) {
      expect(epoch.dataSeconds).toBeDefined();
      // Every batch is made, or handed over, while the loop waits for it.
      expect(epoch.dataSeconds!).toBeGreaterThan(0);
      expect(epoch.dataSeconds!).toBeLessThanOrEqual(epoch.seconds);
    }
  });

  it('is in netspec train --json epoch events', () => {
    const dir = tempDir();
    const { images, labels } = writeIdxPair(dir, 64);
    writeFileSync(join(dir, 'spec.net'), tinySpec(images, labels));
    const result = netspec(['train', 'spec.net', '--json', '--threads', '1', '--out', 'r'], dir);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const epochs = result.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { event: string; seconds: number; dataSeconds: number })
      .filter((e) => e.event === 'epoch');
    expect(epochs).toHaveLength(1);
    expect(epochs[0].dataSeconds).toBeGreaterThanOrEqual(0);
    expect(epochs[0].dataSeconds).toBeLessThanOrEqual(epochs[0].seconds);
  });
});
