// The train block's weight_decay, clip and sharpness settings against PyTorch
// (test/oracle/regularization_steps.py): same weights, batches and optimizer; data losses, the
// penalty and SAM's ascent loss (each its own output), monitoring outputs and final weights must
// agree to float32 rounding. Also float64 finite differences of the penalized loss (loss +
// penalty, what the step minimizes), and the checker's diagnostics for these settings.
import ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkSpec, compileRecipe, initialParameters, Rng } from '../../../compiler/index.js';
import { python, recipeOf, ROOT } from '../../helpers/spec.js';
import { runTrainSteps } from '../../helpers/steps.js';

const MLP = 'x -> Flatten -> Linear(30, 16) -> ReLU -> Linear(16, 16) -> ReLU -> Linear(16, 4)';
const CNN = 'x -> Conv2d(1, 4, 3) -> BatchNorm2d(4) -> ReLU -> Flatten -> Linear(48, 4)';

const SPEC = (optimizer: string, settings: string, body = MLP) => `
dataset D { train = idx("unused-images", "unused-labels") }
network Net {
  input x: [1, 6, 5]
  ${body}
}
train T {
  model = Net()
  data = D, batch: 8
  loss = cross_entropy
  optimizer = ${optimizer}
  epochs = 1
  ${settings}
}`;

const LAYERS = [
  ['Flatten'],
  ['Linear', 30, 16],
  ['ReLU'],
  ['Linear', 16, 16],
  ['ReLU'],
  ['Linear', 16, 4],
];

const CNN_LAYERS = [
  ['Conv2d', 1, 4, 3],
  ['BatchNorm2d', 4],
  ['ReLU'],
  ['Flatten'],
  ['Linear', 48, 4],
];
const CNN_NAMES = [
  'conv2d1.weight',
  'conv2d1.bias',
  'batchnorm2d1.weight',
  'batchnorm2d1.bias',
  'linear1.weight',
  'linear1.bias',
];

type Batch = { x: number[]; shape: number[]; labels: number[] };
type Options = Record<string, unknown>;
interface Case {
  optimizer: [string, Options];
  settings: string;
  cnn?: boolean;
  torch: {
    variance?: boolean;
    weight_decay?: Options;
    clip?: Options;
    sam?: Options;
    groups?: Options[];
  };
}

function makeBatches(count: number): Batch[] {
  const rng = new Rng(11, 'reg-batches');
  return Array.from({ length: count }, (_, k) => {
    const n = k === count - 1 ? 5 : 8;
    return {
      x: Array.from({ length: n * 30 }, () => rng.normal()),
      shape: [n, 1, 6, 5],
      labels: Array.from({ length: n }, () => rng.below(4)),
    };
  });
}

async function netspecSteps(c: Case, batches: Batch[]) {
  const recipe = recipeOf(SPEC(c.optimizer[0], c.settings, c.cnn ? CNN : MLP));
  const compiled = compileRecipe(recipe);
  const run = await runTrainSteps(recipe, compiled, batches);
  const variances = run.outputs[0].grad_variance ? run.scalars('grad_variance') : [];
  const optional = (name: string) => (run.outputs[0][name] ? run.scalars(name) : []);
  // Trainable parameters only, in torch's net.parameters() order (buffers are not compared).
  const trained = compiled.manifest.parameters.filter((p) => p.trainable).map((p) => p.name);
  return {
    losses: run.scalars('loss'),
    penalties: optional('penalty'),
    sam_losses: optional('sam_loss'),
    grad_norms: run.scalars('grad_norm'),
    param_norms: run.scalars('param_norm'),
    variances,
    params: trained.map((name) => run.values(name)),
    initial: trained.map((name) => Array.from(run.initial.get(name)!)),
  };
}

const SGD: [string, Options] = ['SGD(lr: 0.1)', { name: 'SGD', args: { lr: 0.1 } }];
const MOMENTUM: [string, Options] = [
  'SGD(lr: 0.05, momentum: 0.9)',
  { name: 'SGD', args: { lr: 0.05, momentum: 0.9 } },
];
const ADAM: [string, Options] = ['Adam(lr: 0.01)', { name: 'Adam', args: { lr: 0.01 } }];

const CASES: [string, Case][] = [
  [
    'weight_decay (λ‖θ‖², gradient +2λθ)',
    {
      optimizer: SGD,
      settings: 'weight_decay = 0.05',
      torch: { weight_decay: { lambda: 0.05, exclude: [] } },
    },
  ],
  [
    'weight_decay excluding biases',
    {
      optimizer: MOMENTUM,
      settings: 'weight_decay = 0.05, exclude: ["bias"]',
      torch: { weight_decay: { lambda: 0.05, exclude: ['bias'] } },
    },
  ],
  [
    'clip = grad_norm',
    {
      optimizer: MOMENTUM,
      settings: 'clip = grad_norm(0.3)',
      torch: { clip: { kind: 'grad_norm', max: 0.3 } },
    },
  ],
  [
    'clip = grad_value',
    {
      optimizer: SGD,
      settings: 'clip = grad_value(0.02)',
      torch: { clip: { kind: 'grad_value', value: 0.02 } },
    },
  ],
  [
    'sharpness = sam',
    { optimizer: MOMENTUM, settings: 'sharpness = sam(rho: 0.1)', torch: { sam: { rho: 0.1 } } },
  ],
  [
    'sam + clip + weight_decay with Adam',
    {
      optimizer: ADAM,
      settings:
        'sharpness = sam(rho: 0.05)\n clip = grad_norm(0.5)\n weight_decay = 0.01, exclude: "bias"',
      torch: {
        sam: { rho: 0.05 },
        clip: { kind: 'grad_norm', max: 0.5 },
        weight_decay: { lambda: 0.01, exclude: ['bias'] },
      },
    },
  ],
  [
    'groups: per-group lr and optimizer weight_decay',
    {
      optimizer: [
        'SGD(lr: 0.05, momentum: 0.9, weight_decay: 0.01)',
        { name: 'SGD', args: { lr: 0.05, momentum: 0.9, weight_decay: 0.01 } },
      ],
      settings:
        'groups = [group("linear1.*", lr: 0.2), group("*.bias", weight_decay: 0, lr: 0.01)]',
      torch: {
        groups: [
          { pattern: 'linear1.*', options: { lr: 0.2 } },
          { pattern: '*.bias', options: { weight_decay: 0, lr: 0.01 } },
        ],
      },
    },
  ],
  [
    'groups with Adam and a changed beta',
    {
      optimizer: ADAM,
      settings: 'groups = [group("linear3.weight", lr: 0.05, betas: [0.5, 0.9])]',
      torch: { groups: [{ pattern: 'linear3.weight', options: { lr: 0.05, betas: [0.5, 0.9] } }] },
    },
  ],
  [
    'sam on a CNN with batch norm (buffers from the first pass)',
    {
      optimizer: MOMENTUM,
      cnn: true,
      settings: 'sharpness = sam(rho: 0.1)',
      torch: { sam: { rho: 0.1 } },
    },
  ],
  [
    'monitor = [grad_variance] (half-batch estimate)',
    {
      optimizer: SGD,
      settings: 'monitor = [grad_variance]\n weight_decay = 0.01',
      torch: { variance: true, weight_decay: { lambda: 0.01, exclude: [] } },
    },
  ],
  [
    'grad_variance on a CNN with batch norm',
    { optimizer: SGD, cnn: true, settings: 'monitor = [grad_variance]', torch: { variance: true } },
  ],
];

type Result = Awaited<ReturnType<typeof netspecSteps>>;
const near = (a: number, b: number, tol: number) =>
  Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));

describe('regularization settings match PyTorch', () => {
  const ours = new Map<string, Result>();
  const torch = new Map<string, Omit<Result, 'initial'>>();

  beforeAll(async () => {
    const batches = makeBatches(6);
    for (const [name, c] of CASES) ours.set(name, await netspecSteps(c, batches));
    const requests = CASES.map(([name, c]) => ({
      layers: c.cnn ? CNN_LAYERS : LAYERS,
      params: ours.get(name)!.initial,
      batches,
      optimizer: c.optimizer[1],
      names: c.cnn
        ? CNN_NAMES
        : [
            'linear1.weight',
            'linear1.bias',
            'linear2.weight',
            'linear2.bias',
            'linear3.weight',
            'linear3.bias',
          ],
      ...c.torch,
    }));
    const result = python(
      `${ROOT}/test/oracle/regularization_steps.py`,
      [],
      Buffer.from(JSON.stringify(requests)),
    );
    expect(result.stderr).toBe('');
    const answers = JSON.parse(result.stdout) as Omit<Result, 'initial'>[];
    CASES.forEach(([name], k) => torch.set(name, answers[k]));
  });

  it.each(CASES)('%s', (name) => {
    const got = ours.get(name)!;
    const want = torch.get(name)!;
    const keys = [
      'losses',
      'penalties',
      'sam_losses',
      'grad_norms',
      'param_norms',
      'variances',
    ] as const;
    for (const key of keys) {
      expect(got[key]).toHaveLength(want[key].length);
      got[key].forEach((v, k) =>
        expect(near(v, want[key][k], 1e-5), `${key} ${k}: ${v} vs ${want[key][k]}`).toBe(true),
      );
    }
    got.params.forEach((values, p) => {
      const worst = Math.max(...values.map((v, i) => Math.abs(v - want.params[p][i])));
      expect(worst, `parameter ${p}`).toBeLessThan(2e-6);
    });
  });

  it('the penalty is a term of its own in every case that has one', () => {
    const withPenalty = CASES.filter(([, c]) => c.torch.weight_decay).map(([name]) => name);
    const withSam = CASES.filter(([, c]) => c.torch.sam).map(([name]) => name);
    expect(withPenalty.length).toBeGreaterThan(0);
    for (const [name] of CASES) {
      expect(ours.get(name)!.penalties.length > 0, name).toBe(withPenalty.includes(name));
      expect(ours.get(name)!.sam_losses.length > 0, name).toBe(withSam.includes(name));
    }
    // the penalty is not small next to the data loss here: leaving it in would show
    for (const name of withPenalty)
      expect(Math.max(...ours.get(name)!.penalties)).toBeGreaterThan(1e-3);
  });

  it('clipping was active in the clip cases (the norm exceeded the limit)', () => {
    expect(Math.min(...ours.get('clip = grad_norm')!.grad_norms)).toBeGreaterThan(0.3);
  });
});

describe('weight_decay penalty is part of the objective, not of the data loss', () => {
  it('float64 gradients match central finite differences of loss + penalty', async () => {
    const recipe = recipeOf(SPEC('SGD(lr: 0.1)', 'weight_decay = 0.3, exclude: ["bias"]'));
    const compiled = compileRecipe(recipe, { floatType: 'float64', gradients: true });
    const session = await ort.InferenceSession.create(compiled.train);
    const rng = new Rng(7, 'reg-gradcheck');
    const params = new Map(
      [...initialParameters(recipe.model, 3)].map(([n, v]) => [n, Float64Array.from(v)]),
    );
    const shapes = new Map(compiled.manifest.parameters.map((p) => [p.name, p.shape]));
    const x = Float64Array.from({ length: 8 * 30 }, () => rng.normal());
    const labels = BigInt64Array.from({ length: 8 }, () => BigInt(rng.below(4)));
    const feeds = () => {
      const f: Record<string, ort.Tensor> = {
        x: new ort.Tensor('float64', x, [8, 1, 6, 5]),
        labels: new ort.Tensor('int64', labels, [8]),
        lr: new ort.Tensor('float64', Float64Array.of(0), []),
        step: new ort.Tensor('int64', BigInt64Array.of(0n), []),
      };
      for (const [n, v] of params) f[n] = new ort.Tensor('float64', v, shapes.get(n)!);
      return f;
    };
    const loss = async () => {
      const out = await session.run(feeds());
      return (out.loss.data as Float64Array)[0] + (out.penalty.data as Float64Array)[0];
    };
    const out = await session.run(feeds());
    for (const [name, values] of params) {
      const analytic = out[`${name}.grad`].data as Float64Array;
      for (let i = 0; i < values.length; i += 7) {
        const saved = values[i];
        values[i] = saved + 1e-6;
        const up = await loss();
        values[i] = saved - 1e-6;
        const down = await loss();
        values[i] = saved;
        const numeric = (up - down) / 2e-6;
        expect(Math.abs(analytic[i] - numeric), `${name}[${i}]`).toBeLessThan(
          1e-7 + 1e-6 * Math.abs(numeric),
        );
      }
    }
  });
});

describe('checking the settings', () => {
  const messages = (settings: string) =>
    checkSpec(SPEC('SGD(lr: 0.1)', settings), 't.net').diagnostics.map((d) => d.message);

  it('accepts every setting together', () => {
    expect(
      messages(
        'weight_decay = 5e-4, exclude: ["bias", "norm"]\n clip = grad_value(0.5)\n sharpness = sam(rho: 0.05)\n monitor = [grad_norm]\n init = normal(std: 0.02)',
      ),
    ).toEqual([]);
  });

  it.each([
    ['clip = grad_nrm(1)', "unknown clip 'grad_nrm'"],
    ['clip = grad_norm(0)', 'max_norm'],
    ['weight_decay = -1', 'weight_decay'],
    ['weight_decay = 0.1, exclude: [1]', "'exclude' must be a list of strings"],
    ['sharpness = sam(rho: 0)', 'rho'],
    ['monitor = [grad_nrom]', "unknown monitor 'grad_nrom'"],
    ['init = glorott', "unknown init 'glorott'"],
    ['groups = [group("*", momentun: 0.5)]', 'momentun'],
    ['groups = ["*"]', 'groups must be a list of group('],
  ])('%s is reported', (settings, fragment) => {
    expect(messages(settings).join('\n')).toContain(fragment);
  });
});

describe('SAM and batch-norm buffers', () => {
  it('updates running statistics once, from the first pass at θ', async () => {
    const run = async (settings: string) => {
      const recipe = recipeOf(SPEC('SGD(lr: 0.1)', settings, CNN));
      const compiled = compileRecipe(recipe);
      const session = await ort.InferenceSession.create(compiled.train);
      const init = initialParameters(recipe.model, 1);
      const rng = new Rng(3, 'sam-bn');
      const feeds: Record<string, ort.Tensor> = {
        x: new ort.Tensor(
          'float32',
          Float32Array.from({ length: 8 * 30 }, () => rng.normal()),
          [8, 1, 6, 5],
        ),
        labels: new ort.Tensor(
          'int64',
          BigInt64Array.from({ length: 8 }, (_, i) => BigInt(i % 4)),
          [8],
        ),
        lr: new ort.Tensor('float32', Float32Array.of(0.1), []),
        step: new ort.Tensor('int64', BigInt64Array.of(0n), []),
      };
      for (const input of compiled.manifest.graphs.train.inputs) {
        if (input.role.kind === 'param' || input.role.kind === 'buffer')
          feeds[input.name] = new ort.Tensor(
            'float32',
            init.get(input.name)!,
            input.shape as number[],
          );
      }
      const out = await session.run(feeds);
      return (name: string) => Array.from(out[name].data as Float32Array);
    };
    const plain = await run('');
    const sam = await run('sharpness = sam(rho: 0.5)');
    expect(sam('batchnorm2d1.running_mean.next')).toEqual(plain('batchnorm2d1.running_mean.next'));
    expect(sam('batchnorm2d1.running_var.next')).toEqual(plain('batchnorm2d1.running_var.next'));
    expect(sam('conv2d1.weight.next')).not.toEqual(plain('conv2d1.weight.next'));
  });
});
