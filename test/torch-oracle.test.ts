// netspec's compiled training step against PyTorch itself: the same initial weights, the same
// batches, the same SGD settings; the losses and final weights must agree to float32 rounding.
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { compileRecipe, initialParameters, Rng } from '../compiler/index.js';
import { python, recipeOf, ROOT } from './helpers/spec.js';

const SPEC = (optimizer: string) => `
dataset D { train = idx("unused-images", "unused-labels") }
network Net {
  input x: [1, 6, 5]
  x -> Flatten -> Linear(30, 16) -> ReLU -> Linear(16, 16) -> ReLU -> Linear(16, 4)
}
train T {
  model = Net()
  data = D, batch: 8
  loss = cross_entropy
  optimizer = ${optimizer}
  epochs = 1
}`;

const LAYERS = [
  ['Flatten'],
  ['Linear', 30, 16],
  ['ReLU'],
  ['Linear', 16, 16],
  ['ReLU'],
  ['Linear', 16, 4],
];

function makeBatches(count: number) {
  const rng = new Rng(11, 'oracle-batches');
  return Array.from({ length: count }, (_, k) => {
    const n = k === count - 1 ? 5 : 8; // a short last batch, as with drop_last=False
    return {
      x: Array.from({ length: n * 30 }, () => rng.normal()),
      shape: [n, 1, 6, 5],
      labels: Array.from({ length: n }, () => rng.below(4)),
    };
  });
}

async function netspecSteps(optimizer: string, batches: ReturnType<typeof makeBatches>) {
  const recipe = recipeOf(SPEC(optimizer));
  const compiled = compileRecipe(recipe);
  const session = await ort.InferenceSession.create(compiled.train, { intraOpNumThreads: 1 });
  const initial = initialParameters(recipe.model, 5);
  const state: Record<string, ort.Tensor> = {};
  for (const input of compiled.manifest.graphs.train.inputs) {
    const dims = input.shape as number[];
    if (input.role.kind === 'param')
      state[input.name] = new ort.Tensor('float32', initial.get(input.name)!, dims);
    if (input.role.kind === 'state')
      state[input.name] = new ort.Tensor(
        'float32',
        new Float32Array(dims.reduce((a, b) => a * b, 1)),
        dims,
      );
  }
  const losses: number[] = [];
  let step = 0;
  for (const batch of batches) {
    const out = await session.run({
      ...state,
      x: new ort.Tensor('float32', Float32Array.from(batch.x), batch.shape),
      labels: new ort.Tensor('int64', BigInt64Array.from(batch.labels.map(BigInt)), [
        batch.labels.length,
      ]),
      lr: new ort.Tensor('float32', Float32Array.of(compiled.manifest.learningRate), []),
      step: new ort.Tensor('int64', BigInt64Array.of(BigInt(step++)), []),
    });
    losses.push((out.loss.data as Float32Array)[0]);
    for (const name of Object.keys(state)) state[name] = out[`${name}.next`];
  }
  const params = compiled.manifest.parameters.map((p) =>
    Array.from(state[p.name].data as Float32Array),
  );
  return { initial: [...initial.values()].map((v) => Array.from(v)), losses, params };
}

const CASES: [string, Record<string, unknown>][] = [
  ['SGD(lr: 0.05, momentum: 0.9)', { lr: 0.05, momentum: 0.9 }],
  ['SGD(lr: 0.1)', { lr: 0.1 }],
  [
    'SGD(lr: 0.05, momentum: 0.8, dampening: 0.3, weight_decay: 0.01, nesterov: false)',
    { lr: 0.05, momentum: 0.8, dampening: 0.3, weight_decay: 0.01 },
  ],
  [
    'SGD(lr: 0.05, momentum: 0.9, nesterov: true, weight_decay: 0.001)',
    { lr: 0.05, momentum: 0.9, nesterov: true, weight_decay: 0.001 },
  ],
];

describe('training steps match PyTorch', () => {
  it.each(CASES)('%s', async (optimizer, torchOptimizer) => {
    const batches = makeBatches(6);
    const ours = await netspecSteps(optimizer, batches);
    const input = JSON.stringify({
      layers: LAYERS,
      params: ours.initial,
      batches,
      optimizer: torchOptimizer,
    });
    const result = python(`${ROOT}/test/oracle/sgd_steps.py`, [], Buffer.from(input));
    expect(result.stderr).toBe('');
    const torch = JSON.parse(result.stdout) as { losses: number[]; params: number[][] };
    expect(ours.losses).toHaveLength(6);
    ours.losses.forEach((loss, k) =>
      expect(Math.abs(loss - torch.losses[k]), `loss ${k}`).toBeLessThan(1e-5 * Math.max(1, loss)),
    );
    ours.params.forEach((values, p) => {
      const worst = Math.max(...values.map((v, i) => Math.abs(v - torch.params[p][i])));
      expect(worst, `parameter ${p}`).toBeLessThan(2e-6);
    });
    // The run really trained: the parameters moved.
    const moved = Math.max(...ours.params[0].map((v, i) => Math.abs(v - ours.initial[0][i])));
    expect(moved).toBeGreaterThan(1e-3);
  });
});
