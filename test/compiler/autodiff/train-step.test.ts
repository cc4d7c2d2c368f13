// The train-step graph's gradients against central finite differences of its own loss, with
// the whole graph compiled in float64 so the comparison can be tight.
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { compileRecipe, initialParameters, Rng } from '../../../compiler/index.js';
import { recipeOf } from '../../helpers/spec.js';

const SPEC = `
dataset D { train = idx("unused-images", "unused-labels") }
network Small {
  input x: [1, 3, 4]
  x -> Flatten -> Linear(12, 7) -> ReLU -> Linear(7, 5)
}
train T {
  model = Small()
  data = D, batch: 16
  loss = cross_entropy
  optimizer = SGD(lr: 0.1, momentum: 0.9)
  epochs = 1
}`;

const BATCH = 16;

async function setup() {
  const recipe = recipeOf(SPEC);
  const compiled = compileRecipe(recipe, { floatType: 'float64', gradients: true });
  const session = await ort.InferenceSession.create(compiled.train);
  const rng = new Rng(7, 'gradcheck');
  const params = new Map(
    [...initialParameters(recipe.model, 3)].map(([name, v]) => [
      name,
      Float64Array.from(v, (x) => x * 3),
    ]),
  );
  const x = Float64Array.from({ length: BATCH * 12 }, () => rng.normal());
  const labels = BigInt64Array.from({ length: BATCH }, () => BigInt(rng.below(5)));
  const shapes = new Map(compiled.manifest.parameters.map((p) => [p.name, p.shape]));
  const feeds = (lr: number) => {
    const f: Record<string, ort.Tensor> = {
      x: new ort.Tensor('float64', x, [BATCH, 1, 3, 4]),
      labels: new ort.Tensor('int64', labels, [BATCH]),
      lr: new ort.Tensor('float64', Float64Array.of(lr), []),
      step: new ort.Tensor('int64', BigInt64Array.of(0n), []),
    };
    for (const [name, v] of params) {
      f[name] = new ort.Tensor('float64', v, shapes.get(name)!);
      f[`${name}.momentum_buffer`] = new ort.Tensor(
        'float64',
        new Float64Array(v.length),
        shapes.get(name)!,
      );
    }
    return f;
  };
  const loss = async () => ((await session.run(feeds(0))).loss.data as Float64Array)[0];
  return { session, params, feeds, loss };
}

describe('train step gradients', () => {
  it('match central finite differences for every parameter entry', async () => {
    const { session, params, feeds, loss } = await setup();
    const out = await session.run(feeds(0));
    const eps = 1e-6;
    let checked = 0;
    for (const [name, values] of params) {
      const analytic = out[`${name}.grad`].data as Float64Array;
      expect(analytic.length).toBe(values.length);
      for (let i = 0; i < values.length; i++) {
        const saved = values[i];
        values[i] = saved + eps;
        const up = await loss();
        values[i] = saved - eps;
        const down = await loss();
        values[i] = saved;
        const numeric = (up - down) / (2 * eps);
        expect(Math.abs(analytic[i] - numeric), `${name}[${i}]`).toBeLessThan(
          1e-7 + 1e-6 * Math.abs(numeric),
        );
        checked++;
      }
    }
    expect(checked).toBe(12 * 7 + 7 + 7 * 5 + 5);
  });

  it('the gradient is not trivially zero (the check above can fail)', async () => {
    const { session, feeds } = await setup();
    const out = await session.run(feeds(0));
    const g = out['linear1.weight.grad'].data as Float64Array;
    expect(Math.max(...g.map(Math.abs))).toBeGreaterThan(1e-3);
  });

  it('applies SGD with momentum: θ ← θ − lr·(μ·b + g) with b starting at 0', async () => {
    const { session, params, feeds } = await setup();
    const out = await session.run(feeds(0.1));
    for (const [name, before] of params) {
      const grad = out[`${name}.grad`].data as Float64Array;
      const next = out[`${name}.next`].data as Float64Array;
      const buffer = out[`${name}.momentum_buffer.next`].data as Float64Array;
      for (let i = 0; i < before.length; i++) {
        expect(buffer[i]).toBeCloseTo(grad[i], 12);
        expect(next[i]).toBeCloseTo(before[i] - 0.1 * grad[i], 12);
      }
    }
  });
});
