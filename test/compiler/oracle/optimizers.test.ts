// The optimizer registry against torch.optim's own signatures (names and defaults), argument
// validation (betas is a list of two numbers in [0, 1)), the state slots each setting keeps,
// and Adagrad's initial accumulator, which netspec stores as an offset from zero.
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import {
  checkSpec,
  compileRecipe,
  initialParameters,
  OPTIMIZERS,
  Rng,
} from '../../../compiler/index.js';
import { python, recipeOf } from '../../helpers/spec.js';

const SPEC = (optimizer: string) => `
dataset D { train = idx("unused-images", "unused-labels") }
network Small {
  input x: [1, 3, 4]
  x -> Flatten -> Linear(12, 7) -> ReLU -> Linear(7, 5)
}
train T {
  model = Small()
  data = D, batch: 16
  loss = cross_entropy
  optimizer = ${optimizer}
  epochs = 1
}`;

const messages = (optimizer: string) =>
  checkSpec(SPEC(optimizer), 'test.net').diagnostics.map((d) => d.message);

/** torch.optim arguments that netspec leaves out: they change how, not what, is computed. */
const TORCH_ONLY = ['params', 'maximize', 'foreach', 'capturable', 'differentiable', 'fused'];

const TORCH_SIGNATURES = `
import inspect, json, sys, torch
out = {}
for name in sys.argv[1:]:
    params = inspect.signature(getattr(torch.optim, name).__init__).parameters
    out[name] = {k: (list(p.default) if isinstance(p.default, tuple) else p.default)
                 for k, p in params.items() if k != 'self'}
print(json.dumps(out, default=lambda v: '<required>'))
`;
import type { SpecValue } from '../../../compiler/vocabulary/values.js';

function plain(value: SpecValue | undefined): unknown {
  if (value?.t === 'list') return value.items.map(plain);
  return value && 'v' in value ? value.v : value;
}

describe('optimizers follow torch.optim', () => {
  it('have its argument names and defaults', () => {
    const names = [...OPTIMIZERS.keys()];
    const result = python('-c', [TORCH_SIGNATURES, ...names]);
    expect(result.stderr).toBe('');
    const torch = JSON.parse(result.stdout) as Record<string, Record<string, unknown>>;
    for (const [name, def] of OPTIMIZERS) {
      const expected = Object.entries(torch[name]).filter(([k]) => !TORCH_ONLY.includes(k));
      const ours = def.args.map((a) => [a.name, plain(a.default)]);
      // torch 1.13's SGD has no default learning rate; netspec uses torch 2's 1e-3.
      if (name === 'SGD') expected[0][1] = 1e-3;
      expect(ours, name).toEqual(expected);
    }
  });

  it('keep the state torch keeps, under its names', () => {
    const slots = (optimizer: string) => compileRecipe(recipeOf(SPEC(optimizer))).manifest;
    expect(slots('SGD(lr: 0.1)').optimizerSlots).toEqual([]);
    expect(slots('Adagrad').optimizerSlots).toEqual(['sum']);
    expect(slots('RMSprop').optimizerSlots).toEqual(['square_avg']);
    expect(slots('RMSprop(momentum: 0.9, centered: true)').optimizerSlots).toEqual([
      'square_avg',
      'momentum_buffer',
      'grad_avg',
    ]);
    expect(slots('Adam').optimizerSlots).toEqual(['exp_avg', 'exp_avg_sq']);
    const amsgrad = slots('AdamW(amsgrad: true)');
    expect(amsgrad.optimizerSlots).toEqual(['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq']);
    const inputs = amsgrad.graphs.train.inputs.map((i) => i.name);
    expect(inputs).toContain('linear1.weight.max_exp_avg_sq');
    const outputs = amsgrad.graphs.train.outputs.map((o) => o.name);
    expect(outputs).toContain('linear2.bias.exp_avg.next');
  });
});

describe('optimizer arguments are checked', () => {
  it('accepts betas as a list of two numbers in [0, 1)', () => {
    expect(messages('Adam(betas: [0, 0.5])')).toEqual([]);
    expect(messages('AdamW(betas: [0.9, 1])')).toEqual([
      "AdamW: 'betas' must be less than 1, found 1",
    ]);
    expect(messages('Adam(betas: [-0.1, 0.9])')).toEqual([
      "Adam: 'betas' must be at least 0, found -0.1",
    ]);
    expect(messages('Adam(betas: [0.9, 0.99, 0.999])')).toEqual([
      "Adam: 'betas' must have 2 items, found 3",
    ]);
    expect(messages('Adam(betas: 0.9)')).toEqual([
      "Adam: 'betas' must be a list of numbers, found the number 0.9",
    ]);
  });

  it('rejects out-of-range settings with the argument named', () => {
    expect(messages('RMSprop(alpha: 1.5)')).toEqual([
      "RMSprop: 'alpha' must be at most 1, found 1.5",
    ]);
    // lr = 0 is allowed, as in torch (the parameters stay); below 0 is not
    expect(messages('Adagrad(lr: -0.1)')).toEqual(["Adagrad: 'lr' must be at least 0, found -0.1"]);
    for (const optimizer of ['SGD', 'Adagrad', 'RMSprop', 'Adam', 'AdamW'])
      expect(messages(`${optimizer}(lr: 0)`), optimizer).toEqual([]);
    expect(messages('Adagrad(initial_accumulator_value: -1)')).toEqual([
      "Adagrad: 'initial_accumulator_value' must be at least 0, found -1",
    ]);
    expect(messages('AdamW(weight_decy: 0.1)')[0]).toMatch(
      /^AdamW has no argument 'weight_decy'.*weight_decay/,
    );
    expect(messages('Adamw')[0]).toMatch(/^unknown optimizer 'Adamw'.*AdamW/);
  });
});

describe('Adagrad', () => {
  it('starts its sum at initial_accumulator_value though state starts at zero', async () => {
    const recipe = recipeOf(SPEC('Adagrad(lr: 0.5, initial_accumulator_value: 0.3, eps: 0.01)'));
    const compiled = compileRecipe(recipe, { floatType: 'float64', gradients: true });
    const session = await ort.InferenceSession.create(compiled.train);
    const rng = new Rng(5, 'adagrad');
    const feeds: Record<string, ort.Tensor> = {
      x: new ort.Tensor(
        'float64',
        Float64Array.from({ length: 48 }, () => rng.normal()),
        [4, 1, 3, 4],
      ),
      labels: new ort.Tensor('int64', BigInt64Array.of(0n, 1n, 2n, 3n), [4]),
      lr: new ort.Tensor('float64', Float64Array.of(0.5), []),
      step: new ort.Tensor('int64', BigInt64Array.of(0n), []),
    };
    const initial = initialParameters(recipe.model, 1);
    for (const { name, shape } of compiled.manifest.parameters) {
      const values = Float64Array.from(initial.get(name)!);
      feeds[name] = new ort.Tensor('float64', values, shape);
      feeds[`${name}.sum`] = new ort.Tensor('float64', new Float64Array(values.length), shape);
    }
    const out = await session.run(feeds);
    const before = feeds['linear1.weight'].data as Float64Array;
    const grad = out['linear1.weight.grad'].data as Float64Array;
    const next = out['linear1.weight.next'].data as Float64Array;
    const sum = out['linear1.weight.sum.next'].data as Float64Array;
    expect(Math.max(...grad.map(Math.abs))).toBeGreaterThan(1e-3);
    grad.forEach((g, i) => {
      // torch: sum = 0.3 + g²; netspec's slot holds the part above the initial value.
      expect(sum[i]).toBeCloseTo(g * g, 14);
      expect(next[i]).toBeCloseTo(before[i] - (0.5 * g) / (Math.sqrt(0.3 + g * g) + 0.01), 14);
    });
  });
});

describe('Adam', () => {
  /** One float32 step from fresh state on a batch of zeros (linear1's gradient is exactly 0). */
  async function step(lr: number) {
    const recipe = recipeOf(SPEC('Adam(lr: 0.001)'));
    const compiled = compileRecipe(recipe, { gradients: true });
    const session = await ort.InferenceSession.create(compiled.train);
    const feeds: Record<string, ort.Tensor> = {
      x: new ort.Tensor('float32', new Float32Array(48), [4, 1, 3, 4]),
      labels: new ort.Tensor('int64', BigInt64Array.of(0n, 1n, 2n, 3n), [4]),
      lr: new ort.Tensor('float32', Float32Array.of(lr), []),
      step: new ort.Tensor('int64', BigInt64Array.of(0n), []),
    };
    const initial = initialParameters(recipe.model, 1);
    for (const { name, shape } of compiled.manifest.parameters) {
      feeds[name] = new ort.Tensor('float32', Float32Array.from(initial.get(name)!), shape);
      for (const slot of ['exp_avg', 'exp_avg_sq'])
        feeds[`${name}.${slot}`] = new ort.Tensor(
          'float32',
          new Float32Array(initial.get(name)!.length),
          shape,
        );
    }
    const out = await session.run(feeds);
    const changed = (name: string) =>
      Array.from(out[`${name}.next`].data as Float32Array).filter(
        (v, i) => v !== initial.get(name)![i],
      ).length;
    return { out, changed };
  }

  it('takes no step at lr = 0, even where the gradient and its average are 0', async () => {
    const { out, changed } = await step(0);
    expect(Math.max(...(out['linear1.weight.grad'].data as Float32Array).map(Math.abs))).toBe(0);
    for (const name of ['linear1.weight', 'linear1.bias', 'linear2.weight', 'linear2.bias'])
      expect(changed(name), name).toBe(0);
  });

  it('moves every parameter with a gradient at lr > 0, and none without', async () => {
    const { changed } = await step(0.001);
    expect(changed('linear1.weight')).toBe(0);
    expect(changed('linear2.bias')).toBe(5);
  });
});

describe('argument combinations torch refuses', () => {
  it('SGD: Nesterov momentum needs momentum > 0 and no dampening', () => {
    const messages = (optimizer: string) =>
      checkSpec(SPEC(optimizer), 'test.net').diagnostics.map((d) => d.message);
    expect(messages('SGD(lr: 0.1, momentum: 0.9, nesterov: true)')).toEqual([]);
    expect(messages('SGD(lr: 0.1, momentum: 0.9, dampening: 0.1)')).toEqual([]);
    const refused = ['SGD: Nesterov momentum needs momentum > 0 and dampening 0'];
    expect(messages('SGD(lr: 0.1, nesterov: true)')).toEqual(refused);
    expect(messages('SGD(lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true)')).toEqual(
      refused,
    );
  });
});
