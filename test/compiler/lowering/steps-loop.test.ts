// Several training steps per onnxruntime run (compiler/lower/steps-loop.ts): the Loop graph's K
// steps are the train step's K steps, bit for bit — parameters, Adam's moments, batch-norm
// running statistics, dropout masks keyed by the step number — and training with any number
// of steps per run, across epochs and a short last batch, ends with the same weights.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import type { CompiledRecipe } from '../../../compiler/index.js';
import { carriedKey, checkSpec, compileRecipe } from '../../../compiler/index.js';
import type { Batch } from '../../../runtime/data/batches.js';
import { chunked } from '../../../runtime/data/chunks.js';
import { StepRunner } from '../../../runtime/step-runner.js';
import type { Feeds } from '../../../runtime/train-state.js';
import { initialState } from '../../../runtime/train-state.js';
import { train } from '../../../runtime/train.js';
import { readBinary, readImport } from '../../../runtime/cli/load.js';
import { loadDataset } from '../../../runtime/data/dataset.js';
import { ROOT, recipeOf } from '../../helpers/spec.js';
import { tinySplit } from '../../helpers/split.js';

const spec = `
dataset Tiny {
  train = idx("images", "labels")
}
network Net {
  input x: [1, 28, 28]
  x -> Conv2d(1, 4, 3, stride: 2) -> BatchNorm2d(4) -> ReLU -> MaxPool2d(2) -> Dropout(0.3)
    -> Flatten -> Linear(auto, 10)
}
train T {
  model = Net()
  data = Tiny, batch: 8, shuffle: true
  loss = cross_entropy
  optimizer = Adam(lr: 0.01)
  epochs = 2
  seed = 11
}
`;

const STEPS = 5;
const BATCH = 8;

function batches(count: number): Batch[] {
  return Array.from({ length: count }, (_, k) => ({
    images: Float32Array.from({ length: BATCH * 784 }, (_, i) => ((i * 13 + k * 101) % 97) / 97),
    labels: BigInt64Array.from({ length: BATCH }, (_, i) => BigInt((i + k) % 10)),
    size: BATCH,
    shape: [1, 28, 28],
  }));
}

/** `STEPS` runs of the train step, each fed the previous one's carried outputs. */
async function singleSteps(compiled: CompiledRecipe, state: Feeds, rates: number[]) {
  const session = await ort.InferenceSession.create(compiled.train, { intraOpNumThreads: 1 });
  const { inputs, outputs } = compiled.manifest.graphs.train;
  const inputByKey = new Map(inputs.map((i) => [carriedKey(i.role), i.name]));
  const losses: number[] = [];
  for (const [k, batch] of batches(STEPS).entries()) {
    const out = await session.run({
      ...state,
      x: new ort.Tensor('float32', batch.images, [BATCH, 1, 28, 28]),
      labels: new ort.Tensor('int64', batch.labels, [BATCH]),
      lr: new ort.Tensor('float32', Float32Array.of(rates[k]), []),
      step: new ort.Tensor('int64', BigInt64Array.of(BigInt(k + 3)), []),
    });
    losses.push((out.loss.data as Float32Array)[0]);
    const next: Feeds = {};
    for (const o of outputs) {
      const key = carriedKey(o.role);
      if (key) next[inputByKey.get(key)!] = out[o.name];
    }
    state = next;
  }
  return { state, losses };
}

describe('several steps per run', () => {
  it('takes the same steps as the train step, bit for bit', async () => {
    const recipe = recipeOf(spec);
    const compiled = compileRecipe(recipe);
    const rates = [0.01, 0.02, 0.005, 0.01, 0.03];
    const start = initialState(recipe, compiled);
    const single = await singleSteps(compiled, start, rates);
    const session = await ort.InferenceSession.create(compiled.steps!, { intraOpNumThreads: 1 });
    const [chunk] = chunked(batches(STEPS), { steps: STEPS });
    const looped = await new StepRunner(session, compiled).run(
      start,
      chunk,
      3,
      Float32Array.from(rates),
    );
    expect(looped.steps.map((s) => s.loss)).toEqual(single.losses);
    expect(Object.keys(looped.state).sort()).toEqual(Object.keys(single.state).sort());
    for (const [name, tensor] of Object.entries(single.state)) {
      expect(looped.state[name].data, name).toEqual(tensor.data);
    }
    // ‖θ‖ after the last update, from the parameters handed back.
    let sum = 0;
    for (const input of compiled.manifest.graphs.train.inputs) {
      if (input.role.kind !== 'param') continue;
      for (const v of looped.state[input.name].data as Float32Array) sum += v * v;
    }
    expect(looped.updatedNorm).toBeCloseTo(Math.sqrt(sum), 3);
  });

  it('trains to the same weights with 1, 3 or 8 steps per run', async () => {
    const recipe = recipeOf(spec);
    // 100 examples in batches of 8: 12 full batches and a short one each epoch.
    const runs = await Promise.all(
      [1, 3, 8].map((stepsPerRun) =>
        train(
          recipe,
          compileRecipe(recipe),
          { train: tinySplit(100) },
          {
            epochs: 2,
            threads: 1,
            device: 'cpu',
            stepsPerRun,
          },
        ),
      ),
    );
    const [one, ...others] = runs;
    expect(one.history.map((m) => m.trainLoss).every(Number.isFinite)).toBe(true);
    for (const run of others) {
      expect(run.history.map((m) => m.trainLoss)).toEqual(one.history.map((m) => m.trainLoss));
      for (const [name, weights] of one.weights)
        expect(run.weights.get(name), name).toEqual(weights);
    }
  });

  // Every optimizer, clipping by norm and by value, SAM, weight decay, grad_variance: the
  // shipped recipes on two batches and a short one of Fashion-MNIST, one and 8 steps per run.
  for (const file of ['optimizers.net', 'regularization.net']) {
    it(`trains specs/${file}'s recipes to the same weights with 1 or 8 steps per run`, async () => {
      const path = join(ROOT, 'specs', file);
      const { spec } = checkSpec(readFileSync(path, 'utf8'), path, readImport, readBinary);
      const [first] = spec.recipes.values();
      const { train: full } = loadDataset(first.dataset, first.model, []);
      for (const [name, recipe] of spec.recipes) {
        const count = 2 * recipe.batch + 3;
        const split = {
          ...full,
          count,
          images: full.images.subarray(0, count * 784),
          labels: full.labels.subarray(0, count),
        };
        const options = { epochs: 1, threads: 1, device: 'cpu' as const };
        const [one, eight] = await Promise.all(
          [1, 8].map((stepsPerRun) =>
            train(recipe, compileRecipe(recipe), { train: split }, { ...options, stepsPerRun }),
          ),
        );
        for (const [param, weights] of one.weights)
          expect(eight.weights.get(param), `${name} ${param}`).toEqual(weights);
      }
    });
  }
});
