// Early stopping's restore_best survives a resume: a run interrupted after its best epoch and
// resumed from its last checkpoint ends with the best weights seen before the interruption
// (read back from `<checkpoint dir>/best`), exactly as the uninterrupted run does.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../compiler/index.js';
import { idxBytes } from '../../helpers/idx.js';
import { netspec, tempDir } from '../../helpers/spec.js';

// Random images with random labels: the network can only memorize them, so the validation
// loss is lowest early and rises after — the best epoch comes before the interruption.
const spec = (checkpoints: string) => `
dataset Noise {
  train = idx("images", "labels")
  validation = split(train, 25%, seed: 1)
}
network Wide {
  input x: [1, 28, 28]
  x -> Flatten -> Linear(784, 256) -> ReLU -> Linear(256, 10)
}
train T {
  model = Wide()
  data = Noise, batch: 20
  loss = cross_entropy
  optimizer = Adam(lr: 0.003)
  epochs = 5
  seed = 2
  early_stop(monitor: val_loss, patience: 10, restore_best: true)
  checkpoint "${checkpoints}" every 1 epoch
}
`;

function writeNoise(dir: string, count: number) {
  const rng = new Rng(11);
  const pixels = Uint8Array.from({ length: count * 784 }, () => rng.below(256));
  const labels = Uint8Array.from({ length: count }, () => rng.below(10));
  writeFileSync(join(dir, 'images'), idxBytes([count, 28, 28], pixels));
  writeFileSync(join(dir, 'labels'), idxBytes([count], labels));
}

const train = (dir: string, args: string[]) => {
  const result = netspec(['train', 'spec.net', '--threads', '1', ...args], dir);
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return result;
};

const valLosses = (dir: string, run: string) =>
  readFileSync(join(dir, run, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l).valLoss as number);

describe('restore_best after a resume', () => {
  it('ends with the best weights from before the interruption', () => {
    const dir = tempDir();
    writeNoise(dir, 240);
    writeFileSync(join(dir, 'spec.net'), spec('ckpt'));
    train(dir, ['--out', 'whole']);
    const losses = valLosses(dir, 'whole');
    const bestEpoch = 1 + losses.indexOf(Math.min(...losses));
    // the premise: the best epoch is before the interruption below (after epoch 3)
    expect(bestEpoch, `validation losses ${losses.join(', ')}`).toBeLessThanOrEqual(3);
    // the report's per-class results: on validation, the dataset having no test split
    expect(readFileSync(join(dir, 'whole/classes.csv'), 'utf8').trim().split('\n')).toHaveLength(
      11,
    );
    expect(readFileSync(join(dir, 'whole/index.html'), 'utf8')).toContain(
      '<h2>Per class (validation, final weights)</h2>',
    );
    expect(
      readFileSync(join(dir, 'whole/confusion.svg'), 'utf8').match(/class="cell"/g),
    ).toHaveLength(100);

    writeFileSync(join(dir, 'spec.net'), spec('ckpt2'));
    train(dir, ['--out', 'first', '--epochs', '3']);
    train(dir, ['--out', 'resumed', '--resume', 'ckpt2/last']);
    expect(valLosses(dir, 'resumed')).toEqual(losses);

    const weights = (path: string) => readFileSync(join(dir, path));
    const best = weights('whole/weights.safetensors');
    const resumed = weights('resumed/weights.safetensors');
    expect(Buffer.compare(resumed, best)).toBe(0);
    // and they are the best epoch's, not the last epoch's
    const tensors = (bytes: Buffer) => {
      const size = Number(bytes.readBigUInt64LE(0));
      return bytes.subarray(8 + size);
    };
    expect(Buffer.compare(tensors(resumed), tensors(weights('ckpt2/best/model.safetensors')))).toBe(
      0,
    );
    expect(
      Buffer.compare(tensors(resumed), tensors(weights('ckpt2/last/model.safetensors'))),
    ).not.toBe(0);
  }, 40_000);
});
