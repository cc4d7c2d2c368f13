// netspec's compiled training step against PyTorch itself: the same initial weights, the same
// batches, the same optimizer settings; the losses and final weights must agree to float32
// rounding. Every optimizer, with the arguments that change its update rule; one Python
// process answers all cases (test/oracle/optim_steps.py).
import { beforeAll, describe, expect, it } from 'vitest';
import { compileRecipe, Rng } from '../../../compiler/index.js';
import { python, recipeOf, ROOT } from '../../helpers/spec.js';
import { runTrainSteps } from '../../helpers/steps.js';

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

type Batch = { x: number[]; shape: number[]; labels: number[] };
type TorchOptimizer = { name: string; args: Record<string, unknown> };

function makeBatches(count: number): Batch[] {
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

async function netspecSteps(optimizer: string, batches: Batch[]) {
  const recipe = recipeOf(SPEC(optimizer));
  const compiled = compileRecipe(recipe);
  const run = await runTrainSteps(recipe, compiled, batches);
  const params = compiled.manifest.parameters.map((p) => run.values(p.name));
  return {
    initial: [...run.initial.values()].map((v) => Array.from(v)),
    losses: run.scalars('loss'),
    params,
  };
}

const CASES: [string, TorchOptimizer][] = [
  ['SGD(lr: 0.05, momentum: 0.9)', { name: 'SGD', args: { lr: 0.05, momentum: 0.9 } }],
  ['SGD(lr: 0.1)', { name: 'SGD', args: { lr: 0.1 } }],
  [
    'SGD(lr: 0.05, momentum: 0.8, dampening: 0.3, weight_decay: 0.01, nesterov: false)',
    { name: 'SGD', args: { lr: 0.05, momentum: 0.8, dampening: 0.3, weight_decay: 0.01 } },
  ],
  [
    'SGD(lr: 0.05, momentum: 0.9, nesterov: true, weight_decay: 0.001)',
    { name: 'SGD', args: { lr: 0.05, momentum: 0.9, nesterov: true, weight_decay: 0.001 } },
  ],
  ['Adagrad', { name: 'Adagrad', args: {} }],
  [
    'Adagrad(lr: 0.05, lr_decay: 0.1, weight_decay: 0.01, initial_accumulator_value: 0.1, eps: 1e-6)',
    {
      name: 'Adagrad',
      args: {
        lr: 0.05,
        lr_decay: 0.1,
        weight_decay: 0.01,
        initial_accumulator_value: 0.1,
        eps: 1e-6,
      },
    },
  ],
  ['RMSprop(lr: 0.002)', { name: 'RMSprop', args: { lr: 0.002 } }],
  [
    'RMSprop(lr: 0.002, alpha: 0.9, momentum: 0.8, weight_decay: 0.01)',
    { name: 'RMSprop', args: { lr: 0.002, alpha: 0.9, momentum: 0.8, weight_decay: 0.01 } },
  ],
  ['RMSprop(lr: 0.002, centered: true)', { name: 'RMSprop', args: { lr: 0.002, centered: true } }],
  [
    'RMSprop(lr: 0.001, centered: true, momentum: 0.5, eps: 1e-6)',
    { name: 'RMSprop', args: { lr: 0.001, centered: true, momentum: 0.5, eps: 1e-6 } },
  ],
  ['Adam', { name: 'Adam', args: {} }],
  [
    'Adam(lr: 0.01, betas: [0.8, 0.95], weight_decay: 0.01)',
    { name: 'Adam', args: { lr: 0.01, betas: [0.8, 0.95], weight_decay: 0.01 } },
  ],
  [
    'Adam(lr: 0.01, betas: [0.9, 0.9], amsgrad: true, eps: 1e-6)',
    { name: 'Adam', args: { lr: 0.01, betas: [0.9, 0.9], amsgrad: true, eps: 1e-6 } },
  ],
  ['AdamW', { name: 'AdamW', args: {} }],
  [
    'AdamW(lr: 0.01, betas: [0.85, 0.99], weight_decay: 0.1, amsgrad: true)',
    { name: 'AdamW', args: { lr: 0.01, betas: [0.85, 0.99], weight_decay: 0.1, amsgrad: true } },
  ],
];

type Ours = Awaited<ReturnType<typeof netspecSteps>>;
type Torch = { losses: number[]; params: number[][] };

describe('training steps match PyTorch', () => {
  const ours = new Map<string, Ours>();
  const torch = new Map<string, Torch>();

  beforeAll(async () => {
    const batches = makeBatches(6);
    for (const [spec] of CASES) ours.set(spec, await netspecSteps(spec, batches));
    const requests = CASES.map(([spec, optimizer]) => ({
      kind: 'train',
      layers: LAYERS,
      params: ours.get(spec)!.initial,
      batches,
      optimizer,
      loss: { name: 'cross_entropy' },
    }));
    const script = `${ROOT}/test/oracle/optim_steps.py`;
    const result = python(script, [], Buffer.from(JSON.stringify(requests)));
    expect(result.stderr).toBe('');
    const answers = JSON.parse(result.stdout) as Torch[];
    CASES.forEach(([spec], k) => torch.set(spec, answers[k]));
  });

  it.each(CASES)('%s', (spec) => {
    const { losses, params, initial } = ours.get(spec)!;
    const expected = torch.get(spec)!;
    expect(losses).toHaveLength(6);
    losses.forEach((loss, k) =>
      expect(Math.abs(loss - expected.losses[k]), `loss ${k}`).toBeLessThan(
        1e-5 * Math.max(1, loss),
      ),
    );
    params.forEach((values, p) => {
      const worst = Math.max(...values.map((v, i) => Math.abs(v - expected.params[p][i])));
      expect(worst, `parameter ${p}`).toBeLessThan(2e-6);
    });
    // The run really trained: the parameters moved.
    const moved = Math.max(...params[0].map((v, i) => Math.abs(v - initial[0][i])));
    expect(moved).toBeGreaterThan(1e-3);
  });
});
