// The `init =` registry: each scheme's statistics on large layers against its formula, fans as
// torch.nn.init computes them (asked of torch itself), biases zeroed, norms untouched, seeded
// reproducibility, and LSUV's rescale.
import { describe, expect, it } from 'vitest';
import { fans, initialParameters, lsuvLayers, lsuvScale } from '../../../compiler/index.js';
import { python, recipeOf } from '../../helpers/spec.js';

const SPEC = (init: string, seed = 0) => `
dataset D { train = idx("unused-images", "unused-labels") }
network Net {
  input x: [64, 8, 8]
  x -> Conv2d(64, 128, 3) -> BatchNorm2d(128) -> ReLU -> Flatten -> Linear(auto, 600) -> Linear(600, 400)
}
train T {
  model = Net()
  data = D, batch: 8
  loss = cross_entropy
  optimizer = SGD(lr: 0.1)
  epochs = 1
  seed = ${seed}
  ${init}
}`;

function values(init: string, seed = 0) {
  const recipe = recipeOf(SPEC(init, seed));
  return initialParameters(recipe.model, recipe.seed, recipe.init);
}

function stats(v: Float32Array) {
  const mean = v.reduce((s, x) => s + x, 0) / v.length;
  const variance = v.reduce((s, x) => s + (x - mean) ** 2, 0) / v.length;
  // A loop, not Math.max(...v): spreading 240,000 arguments overflows the stack.
  const max = v.reduce((m, x) => Math.max(m, x), -Infinity);
  const min = v.reduce((m, x) => Math.min(m, x), Infinity);
  return { mean, std: Math.sqrt(variance), max, min };
}

// Conv2d(64, 128, 3): fan_in 64·9 = 576, fan_out 128·9 = 1152. Linear(600, 400): 600 and 400.
const CONV = 'conv2d1.weight';
const LINEAR = 'linear2.weight';

describe('init schemes follow torch.nn.init', () => {
  it('computes fan_in and fan_out as torch does, kernels included', () => {
    const shapes = [
      [128, 64, 3, 3],
      [400, 600],
      [16, 3, 5, 7],
      [8, 4, 2, 2, 2],
      [10, 1, 3],
    ];
    const script = `import json,sys,torch
print(json.dumps([list(torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(s))) for s in json.load(sys.stdin)]))`;
    const result = python('-c', [script], Buffer.from(JSON.stringify(shapes)));
    expect(result.stderr).toBe('');
    const expected = JSON.parse(result.stdout) as [number, number][];
    shapes.forEach((s, k) => expect([fans(s).fanIn, fans(s).fanOut]).toEqual(expected[k]));
  });

  it.each([
    ['glorot', CONV, 0, Math.sqrt(2 / (576 + 1152))],
    ['xavier_uniform', LINEAR, 0, Math.sqrt(2 / 1000)],
    ['xavier_normal', LINEAR, 0, Math.sqrt(2 / 1000)],
    ['he', CONV, 0, Math.sqrt(2 / 576)],
    ['kaiming_uniform', LINEAR, 0, Math.sqrt(2 / 600)],
    ['kaiming_normal', CONV, 0, Math.sqrt(2 / 576)],
    ['normal(std: 0.01)', LINEAR, 0, 0.01],
    ['uniform(a: -0.2, b: 0.6)', LINEAR, 0.2, 0.8 / Math.sqrt(12)],
  ])('init = %s on %s: mean %f, std %f', (init, name, mean, std) => {
    const s = stats(values(`init = ${init}`).get(name)!);
    expect(Math.abs(s.mean - mean)).toBeLessThan(0.02 * std + 1e-4);
    expect(Math.abs(s.std / std - 1)).toBeLessThan(0.02);
  });

  it('uniform schemes stay within their bound √3·σ', () => {
    const s = stats(values('init = glorot').get(CONV)!);
    const bound = Math.sqrt(3) * Math.sqrt(2 / (576 + 1152));
    expect(s.max).toBeLessThanOrEqual(bound);
    expect(s.min).toBeGreaterThanOrEqual(-bound);
    expect(s.max).toBeGreaterThan(0.99 * bound);
  });

  it('zeros and ones fill the weights; biases start at zero; norms keep their defaults', () => {
    const ones = values('init = ones');
    expect(ones.get(LINEAR)!.every((x) => x === 1)).toBe(true);
    expect(
      values('init = zeros')
        .get(CONV)!
        .every((x) => x === 0),
    ).toBe(true);
    expect(ones.get('linear1.bias')!.every((x) => x === 0)).toBe(true);
    expect(ones.get('conv2d1.bias')!.every((x) => x === 0)).toBe(true);
    // BatchNorm's weight is 1 and bias 0 by default, under any scheme.
    const normal = values('init = normal(std: 0.5)');
    expect(normal.get('batchnorm2d1.weight')!.every((x) => x === 1)).toBe(true);
  });

  it('without init, layers keep PyTorch defaults (nonzero biases)', () => {
    const defaults = values('');
    expect(defaults.get('linear1.bias')!.some((x) => x !== 0)).toBe(true);
    const bound = 1 / Math.sqrt(600);
    expect(stats(defaults.get(LINEAR)!).max).toBeLessThanOrEqual(bound);
  });

  it('is seeded and reproducible', () => {
    const a = values('init = kaiming_normal', 3).get(CONV)!;
    expect(values('init = kaiming_normal', 3).get(CONV)).toEqual(a);
    expect(values('init = kaiming_normal', 4).get(CONV)).not.toEqual(a);
  });
});

describe('LSUV', () => {
  it('lists the Conv and Linear layers in order', () => {
    expect(lsuvLayers(recipeOf(SPEC('init = lsuv')).model)).toEqual([
      'conv2d1',
      'linear1',
      'linear2',
    ]);
  });

  it('lsuvScale divides by the output standard deviation', () => {
    const w = Float32Array.of(1, -2, 4);
    expect(Array.from(lsuvScale(w, 4))).toEqual([0.5, -1, 2]);
    expect(Array.from(lsuvScale(w, 0))).toEqual([1, -2, 4]);
  });
});
