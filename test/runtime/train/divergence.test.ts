// A loss, gradient or update that stops being finite ends training at that step, naming it,
// and the weights kept are the last finite ones — the same whether steps run one or several
// per onnxruntime run.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileRecipe } from '../../../compiler/index.js';
import { readCheckpoint } from '../../../runtime/checkpoint.js';
import { firstDivergence } from '../../../runtime/divergence.js';
import { train } from '../../../runtime/train.js';
import { readSafetensors } from '../../../runtime/weights.js';
import { writeIdxPair } from '../../helpers/idx.js';
import { netspec, recipeOf, tempDir } from '../../helpers/spec.js';
import { tinySplit } from '../../helpers/split.js';

const ok = { loss: 1, gradNorm: 2, paramNorm: 3 };

describe('firstDivergence', () => {
  it.each([
    ['all finite', [ok, ok], 5, undefined],
    [
      'a NaN loss: keep the steps before it',
      [ok, { ...ok, loss: NaN }, ok],
      5,
      [1, 1, 'loss is NaN'],
    ],
    [
      'an infinite gradient norm',
      [ok, ok, { ...ok, gradNorm: Infinity }],
      5,
      [2, 2, 'gradient norm is Infinity'],
    ],
    [
      'parameters made non-finite by the previous update',
      [ok, ok, { ...ok, paramNorm: NaN }],
      5,
      [1, 1, 'update made ‖θ‖ NaN'],
    ],
    [
      'parameters non-finite from the start',
      [{ ...ok, paramNorm: Infinity }],
      5,
      [0, 0, 'at its start'],
    ],
    ['the last update', [ok, ok], Infinity, [1, 1, 'update made ‖θ‖ Infinity']],
    [
      'the first of several',
      [
        { ...ok, loss: Infinity },
        { ...ok, loss: NaN },
      ],
      NaN,
      [0, 0, 'loss is Infinity'],
    ],
  ] as const)('%s', (_, steps, updated, expected) => {
    const d = firstDivergence(steps, updated);
    if (expected === undefined) return expect(d).toBeUndefined();
    expect([d?.index, d?.keep]).toEqual(expected.slice(0, 2));
    expect(d?.reason).toContain(expected[2]);
  });
});

// SGD at lr 1e8 with momentum: the parameters overflow within a few steps.
const spec = (checkpoint = '') => `
dataset Tiny {
  train = idx("images", "labels")
}
network MLP {
  input x: [1, 28, 28]
  x -> Flatten -> Linear(784, 32) -> ReLU -> Linear(32, 10)
}
train T {
  model = MLP()
  data = Tiny, batch: 8
  loss = cross_entropy
  optimizer = SGD(lr: 1e8, momentum: 0.9)
  epochs = 3
  seed = 2
  ${checkpoint}
}
`;

describe('a diverging run', () => {
  it('stops at the step, exits 1 and saves the last finite weights', () => {
    const dir = tempDir();
    writeIdxPair(dir, 64);
    writeFileSync(join(dir, 'spec.net'), spec('checkpoint "ckpt" every 1 steps'));
    const result = netspec(['train', 'spec.net', '--threads', '1', '--out', 'out'], dir);
    expect(result.status).toBe(1);
    const message =
      /^spec\.net: training diverged at step (\d+) \(epoch 1\): .*; kept the weights after step (\d+) \(last finite loss [\d.e+]+, at step \2\)\n$/;
    expect(result.stderr).toMatch(message);
    const [, step, kept] = message.exec(result.stderr)!.map(Number);
    expect(kept).toBeLessThan(step);
    const weights = readSafetensors(join(dir, 'out', 'weights.safetensors'));
    for (const [name, t] of weights) expect(t.data.every(Number.isFinite), name).toBe(true);
    // One step per run here (a checkpoint after every step): the last checkpoint is step `kept`.
    const last = readCheckpoint(join(dir, 'ckpt', 'last'));
    expect(last.state.step).toBe(kept);
    for (const [name, t] of weights) expect(last.weights.get(name)!.data, name).toEqual(t.data);
    expect(readFileSync(join(dir, 'out', 'index.html'), 'utf8')).toContain('diverged');
  });

  it('keeps the same weights and names the same step with several steps per run', async () => {
    const recipe = recipeOf(spec());
    const runs = await Promise.all(
      [1, 8].map((stepsPerRun) =>
        train(
          recipe,
          compileRecipe(recipe),
          { train: tinySplit(64) },
          {
            epochs: 3,
            threads: 1,
            device: 'cpu',
            stepsPerRun,
          },
        ),
      ),
    );
    expect(runs[0].diverged).toBe(true);
    expect(runs[1].stopped).toBe(runs[0].stopped);
    for (const [name, w] of runs[0].weights) expect(runs[1].weights.get(name), name).toEqual(w);
  });
});
