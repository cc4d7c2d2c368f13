// `init = lsuv`: before the first step of a fresh run, each Conv/Linear layer is rescaled until
// its output on the run's first minibatch has unit variance. The variances are checked
// independently of the probe graph LSUV uses: in plain TypeScript for an MLP, through the
// inference model of the network cut at each layer for a CNN.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import type { Model, Recipe } from '../../../compiler/index.js';
import {
  compileInference,
  compileProbe,
  checkSpec,
  compileRecipe,
  initialParameters,
  lsuvLayers,
  Rng,
} from '../../../compiler/index.js';
import { readBinary } from '../../../runtime/cli/load.js';
import { readCheckpoint } from '../../../runtime/checkpoint.js';
import { batches, epochOrder } from '../../../runtime/data/batches.js';
import type { Split } from '../../../runtime/data/dataset.js';
import type { LsuvLayerResult } from '../../../runtime/lsuv.js';
import { LSUV_TOLERANCE, lsuvInitialize } from '../../../runtime/lsuv.js';
import { initialState } from '../../../runtime/train-state.js';
import { train } from '../../../runtime/train.js';
import { readIdxForTest } from '../../helpers/fashion.js';
import { RESNET18_ONNX } from '../../helpers/machine.js';
import { netspec, recipeOf, tempDir } from '../../helpers/spec.js';

const SESSION = { device: 'cpu' as const, threads: 1 };

let fashion: ReturnType<typeof readIdxForTest> | undefined;

/** `count` Fashion-MNIST training images from `offset`, as the loader's Split. */
function fashionSplit(count: number, offset = 0): Split {
  fashion ??= readIdxForTest('train');
  return {
    images: fashion.images.subarray(offset * 784, (offset + count) * 784),
    labels: Int32Array.from(fashion.labels.subarray(offset, offset + count)),
    count,
    imageShape: [1, 28, 28],
    scale: 1 / 255,
    origin: 'fashion-mnist',
    labelAt: (i) => `example ${i}`,
  };
}

const spec = (network: string, settings: string) => `
dataset D { train = idx("unused-images", "unused-labels") }
transform T {
  ToTensor
  RandomCrop(28, padding: 2)
  Normalize(mean: auto, std: auto)
}
network Net {
  input x: [1, 28, 28]
  ${network}
}
train R {
  model = Net()
  loss = cross_entropy
  optimizer = Adam(lr: 1e-3)
  epochs = 1
  ${settings}
}`;

const MLP =
  'x -> Flatten -> Linear(784, 64) -> ReLU -> Dropout(0.2) -> Linear(64, 32) -> ReLU -> Linear(32, 10)';
const CNN =
  'x -> Conv2d(1, 8, 3) -> ReLU -> MaxPool2d(2) -> Conv2d(8, 16, 3, padding: 1) -> BatchNorm2d(16) -> ReLU -> Flatten -> Linear(2704, 10)';
const STATS = { mean: [0.286], std: [0.353] };

async function lsuvWeights(recipe: Recipe, split: Split, stats?: typeof STATS) {
  const state = initialState(recipe, compileRecipe(recipe));
  const result = await lsuvInitialize(recipe, split, stats, state, SESSION);
  const weights = new Map<string, Float32Array>();
  for (const [name, t] of Object.entries(result.state)) weights.set(name, t.data as Float32Array);
  return { weights, layers: result.layers };
}

/** y = x·Wᵀ + b for a batch of rows. */
function linear(x: Float64Array, n: number, w: Float32Array, b: Float32Array): Float64Array {
  const out = b.length;
  const inp = w.length / out;
  const y = new Float64Array(n * out);
  for (let r = 0; r < n; r++) {
    for (let o = 0; o < out; o++) {
      let s = b[o];
      for (let i = 0; i < inp; i++) s += x[r * inp + i] * w[o * inp + i];
      y[r * out + o] = s;
    }
  }
  return y;
}

const relu = (x: Float64Array) => x.map((v) => Math.max(v, 0));

/** E[x²] − E[x]² over every element (the runtime computes it in two passes instead). */
function variance(values: ArrayLike<number>): number {
  let sum = 0;
  let squares = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i];
    squares += values[i] * values[i];
  }
  return squares / values.length - (sum / values.length) ** 2;
}

/** The output variance of `layer` on `batch`: the inference model of the network cut there. */
async function cutVariance(
  model: Model,
  layer: string,
  weights: Map<string, Float32Array>,
  batch: { images: Float32Array; size: number; shape: number[] },
): Promise<number> {
  const end = model.layers.findIndex((l) => l.path === layer);
  const { outputShape } = model.layers[end];
  const cut: Model = {
    ...model,
    layers: model.layers.slice(0, end + 1),
    output: layer,
    outputShape,
  };
  const session = await ort.InferenceSession.create(compileInference(cut, weights), {
    logSeverityLevel: 3,
  });
  const x = new ort.Tensor('float32', batch.images, [batch.size, ...batch.shape]);
  const out = await session.run({ [model.input.name]: x });
  return variance(out.logits.data as Float32Array);
}

describe('LSUV', () => {
  it('gives every Linear layer of an MLP unit output variance on the first batch', async () => {
    const recipe = recipeOf(spec(MLP, 'data = D, batch: 64, shuffle: false\n  init = lsuv'));
    const split = fashionSplit(256);
    const { weights, layers } = await lsuvWeights(recipe, split);
    expect(layers.map((l) => l.layer)).toEqual(['linear1', 'linear2', 'linear3']);
    // The drawn (he) weights are not already at unit variance, so skipping the rescale fails.
    expect(layers.some((l) => Math.abs(l.before - 1) > 3 * LSUV_TOLERANCE)).toBe(true);
    // Plain TypeScript forward pass on the first 64 images (no shuffle, no training transform
    // in this recipe's data line: pixels / 255), Dropout being the identity at evaluation.
    const n = 64;
    let x: Float64Array = Float64Array.from(split.images.subarray(0, n * 784), (p) => p / 255);
    const initial = initialParameters(recipe.model, recipe.seed, recipe.init);
    for (const [k, layer] of layers.entries()) {
      const w = weights.get(`${layer.layer}.weight`)!;
      const b = weights.get(`${layer.layer}.bias`)!;
      const y = linear(x, n, w, b);
      const v = variance(y);
      expect(Math.abs(v - 1)).toBeLessThan(LSUV_TOLERANCE);
      expect(v).toBeCloseTo(layer.after, 4);
      // Only the weight changed, by one positive factor; the bias is left as drawn (zero).
      const drawn = initial.get(`${layer.layer}.weight`)!;
      const factor = w[0] / drawn[0];
      expect(factor).toBeGreaterThan(0);
      if (layer.rescales === 0) expect(factor).toBe(1);
      else expect(Math.abs(factor - 1)).toBeGreaterThan(1e-3);
      for (let i = 0; i < w.length; i += 97) expect(w[i]).toBeCloseTo(drawn[i] * factor, 6);
      expect(b).toEqual(initial.get(`${layer.layer}.bias`));
      x = k < layers.length - 1 ? relu(y) : y;
    }
  });

  it('is seeded: the same seed gives the same weights, another seed other weights', async () => {
    const settings = (seed: number) =>
      `data = D, batch: 32, shuffle: true, transform: T\n  init = lsuv\n  seed = ${seed}`;
    const split = fashionSplit(256);
    const a = await lsuvWeights(recipeOf(spec(MLP, settings(3))), split, STATS);
    const b = await lsuvWeights(recipeOf(spec(MLP, settings(3))), split, STATS);
    const c = await lsuvWeights(recipeOf(spec(MLP, settings(4))), split, STATS);
    for (const name of ['linear1.weight', 'linear2.weight', 'linear3.weight']) {
      expect(b.weights.get(name)).toEqual(a.weights.get(name));
      expect(c.weights.get(name)).not.toEqual(a.weights.get(name));
    }
    expect(b.layers).toEqual(a.layers);
  });

  it('rescales Conv2d layers too, measured on the batch the training loop gets first', async () => {
    const recipe = recipeOf(
      spec(CNN, 'data = D, batch: 48, shuffle: true, transform: T\n  init = lsuv\n  seed = 5'),
    );
    expect(lsuvLayers(recipe.model)).toEqual(['conv2d1', 'conv2d2', 'linear1']);
    const split = fashionSplit(300);
    const { weights, layers } = await lsuvWeights(recipe, split, STATS);
    expect(layers.map((l) => l.layer)).toEqual(['conv2d1', 'conv2d2', 'linear1']);
    // The loader's own first training batch: epoch 1's shuffled order, random crops, Normalize.
    const order = epochOrder(split.count, true, recipe.seed, 1);
    const loader = batches(split, order, recipe.batch, {
      steps: recipe.transform!.steps,
      training: true,
      stats: STATS,
      seed: recipe.seed,
      epoch: 1,
    });
    const first = loader.next().value!;
    for (const layer of layers) {
      const v = await cutVariance(recipe.model, layer.layer, weights, first);
      expect(Math.abs(v - 1)).toBeLessThan(LSUV_TOLERANCE);
      expect(v).toBeCloseTo(layer.after, 3);
    }
    const drawn = initialParameters(recipe.model, recipe.seed, recipe.init);
    const before = await cutVariance(recipe.model, 'conv2d1', drawn, first);
    expect(before).toBeCloseTo(layers[0].before, 3);
    expect(Math.abs(before - 1)).toBeGreaterThan(LSUV_TOLERANCE);
  });

  it('leaves frozen and pretrained layers of an imported model alone', async () => {
    const text = `
dataset D { train = idx("unused-images", "unused-labels") }
network Finetuned = onnx(${JSON.stringify(RESNET18_ONNX)}, shape: [1, 32, 32]) {
  freeze *
  replace conv1 with Conv2d(1, 64, 7, stride: 2, padding: 3, bias: false)
  replace fc with Linear(512, 10)
}
train T {
  model = Finetuned
  data = D, batch: 8
  loss = cross_entropy
  optimizer = SGD(lr: 0.1)
  init = lsuv
  epochs = 1
}`;
    const { spec: checked, diagnostics } = checkSpec(text, 'finetune.net', undefined, readBinary);
    expect(diagnostics).toEqual([]);
    const recipe = checked.recipes.get('T')!;
    expect(lsuvLayers(recipe.model)).toEqual(['conv1', 'fc']);
    const rng = new Rng(9, 'lsuv-finetune');
    const split: Split = {
      images: Uint8Array.from({ length: 8 * 32 * 32 }, () => rng.below(256)),
      labels: new Int32Array(8),
      count: 8,
      imageShape: [1, 32, 32],
      scale: 1 / 255,
      origin: 'random',
      labelAt: (i) => `example ${i}`,
    };
    const { weights, layers } = await lsuvWeights(recipe, split);
    expect(layers.map((l) => l.layer)).toEqual(['conv1', 'fc']);
    for (const l of layers) expect(Math.abs(l.after - 1)).toBeLessThan(LSUV_TOLERANCE);
    // Frozen layers are constants of the graphs: not in the training state, so never rescaled.
    expect(weights.has('layer1.0.conv1.weight')).toBe(false);
    expect([...weights.keys()].filter((n) => n.endsWith('.weight'))).toEqual([
      'conv1.weight',
      'fc.weight',
    ]);
  });

  it('the probe graph outputs each LSUV layer, in order, with its parameters', () => {
    const recipe = recipeOf(spec(CNN, 'data = D, batch: 8\n  init = lsuv'));
    const { manifest } = compileProbe(recipe);
    expect(manifest.layers).toEqual([
      {
        layer: 'conv2d1',
        output: 'probe/conv2d1',
        shape: ['N', 8, 26, 26],
        weight: 'conv2d1.weight',
        bias: 'conv2d1.bias',
      },
      {
        layer: 'conv2d2',
        output: 'probe/conv2d2',
        shape: ['N', 16, 13, 13],
        weight: 'conv2d2.weight',
        bias: 'conv2d2.bias',
      },
      {
        layer: 'linear1',
        output: 'probe/linear1',
        shape: ['N', 10],
        weight: 'linear1.weight',
        bias: 'linear1.bias',
      },
    ]);
    expect(manifest.inputs.map((i) => i.role.kind)).toEqual([
      'images',
      ...Array(8).fill('param'),
      ...Array(3).fill('buffer'),
    ]);
  });

  it('a short training run starts from the LSUV weights and its loss falls; --resume does not redo it', async () => {
    const recipe = recipeOf(
      spec(MLP, 'data = D, batch: 64, shuffle: true\n  init = lsuv\n  seed = 2'),
    );
    const compiled = compileRecipe(recipe);
    const data = { train: fashionSplit(2048), test: fashionSplit(1000, 50000) };
    const reported: LsuvLayerResult[][] = [];
    const dir = tempDir('netspec-lsuv-');
    const result = await train(recipe, compiled, data, {
      ...SESSION,
      epochs: 2,
      checkpoint: { dir, every: 1, unit: 'epoch' },
      onLsuv: (layers) => reported.push(layers),
    });
    expect(reported).toHaveLength(1);
    expect(reported[0].every((l) => Math.abs(l.after - 1) < LSUV_TOLERANCE)).toBe(true);
    // The run's state is the rescaled one: with no epochs, train returns exactly LSUV's weights.
    const untrained = await train(recipe, compiled, data, { ...SESSION, epochs: 0 });
    const expected = await lsuvWeights(recipe, data.train);
    for (const name of ['linear1.weight', 'linear2.weight', 'linear3.weight', 'linear3.bias'])
      expect(untrained.weights.get(name)).toEqual(expected.weights.get(name));
    const [first, second] = result.history;
    expect(second.trainLoss).toBeLessThan(first.trainLoss);
    expect(second.testAccuracy).toBeGreaterThan(0.6);
    // Resuming continues from the checkpoint's weights: no second LSUV.
    const resumed = await train(recipe, compiled, data, {
      ...SESSION,
      epochs: 3,
      resume: readCheckpoint(join(dir, 'last')),
      onLsuv: (layers) => reported.push(layers),
    });
    expect(reported).toHaveLength(1);
    expect(resumed.history).toHaveLength(3);
  });

  it('netspec train --json reports the LSUV result as an event (needs `npm run build`)', () => {
    const dir = tempDir('netspec-lsuv-cli-');
    const split = fashionSplit(200);
    const rows = Array.from({ length: 200 }, (_, i) =>
      Array.from(split.images.subarray(i * 784, (i + 1) * 784)).join(','),
    );
    writeFileSync(join(dir, 'images.csv'), rows.join('\n') + '\n');
    writeFileSync(join(dir, 'labels.csv'), Array.from(split.labels).join('\n') + '\n');
    const text = spec(MLP, 'data = D, batch: 50, shuffle: true\n  init = lsuv').replace(
      'idx("unused-images", "unused-labels")',
      'csv(images: "images.csv", labels: "labels.csv", shape: [1, 28, 28], scale: 1/255)',
    );
    writeFileSync(join(dir, 'lsuv.net'), text);
    const run = netspec(['train', 'lsuv.net', '--json', '--threads', '1'], dir);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const events = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string; layers?: LsuvLayerResult[] });
    const lsuv = events.filter((e) => e.event === 'lsuv');
    expect(lsuv).toHaveLength(1);
    expect(lsuv[0].layers!.map((l) => l.layer)).toEqual(['linear1', 'linear2', 'linear3']);
    for (const l of lsuv[0].layers!) expect(Math.abs(l.after - 1)).toBeLessThan(LSUV_TOLERANCE);
    expect(events.findIndex((e) => e.event === 'lsuv')).toBeLessThan(
      events.findIndex((e) => e.event === 'epoch'),
    );
  });
});
