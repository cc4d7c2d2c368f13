// Finetuning the imported ResNet18 after the seed's surgery: a training step changes only the
// new conv1 and fc, frozen layers stay constants of the graph, and the gradient still flows back
// through every frozen layer to conv1 (checked against finite differences of the loss).
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { checkSpec, compileRecipe, initialParameters, Rng } from '../compiler/index.js';
import { readBinary } from '../runtime/cli/load.js';
import { ROOT } from './helpers/spec.js';

const ONNX = join(ROOT, '../shared/fixtures/resnet18/resnet18.onnx');
const SPEC = `
dataset D { train = idx("unused-images", "unused-labels") }
network Finetuned = onnx(${JSON.stringify(ONNX)}, shape: [1, 32, 32]) {
  freeze *
  replace conv1 with Conv2d(1, 64, 7, stride: 2, padding: 3, bias: false)
  replace fc with Linear(512, 10)
}
train T {
  model = Finetuned
  data = D, batch: 2
  loss = cross_entropy
  optimizer = SGD(lr: 0.1)
  epochs = 1
  seed = 3
}`;

async function setup() {
  const { spec, diagnostics } = checkSpec(SPEC, 'finetune.net', undefined, readBinary);
  expect(diagnostics).toEqual([]);
  const recipe = spec.recipes.get('T')!;
  const compiled = compileRecipe(recipe, { gradients: true });
  const session = await ort.InferenceSession.create(compiled.train, { logSeverityLevel: 3 });
  const values = initialParameters(recipe.model, recipe.seed);
  const rng = new Rng(1, 'finetune-test');
  const x = Float32Array.from({ length: 2 * 32 * 32 }, () => rng.normal());
  const params = compiled.manifest.graphs.train.inputs.filter((i) => i.role.kind === 'param');
  const feeds = (lr: number, conv1 = values.get('conv1.weight')!) => {
    const f: Record<string, ort.Tensor> = {
      input: new ort.Tensor('float32', x, [2, 1, 32, 32]),
      labels: new ort.Tensor('int64', BigInt64Array.of(3n, 7n), [2]),
      lr: new ort.Tensor('float32', Float32Array.of(lr), []),
      step: new ort.Tensor('int64', BigInt64Array.of(0n), []),
    };
    for (const p of params) {
      const data = p.name === 'conv1.weight' ? conv1 : values.get(p.name)!;
      f[p.name] = new ort.Tensor('float32', data, p.shape as number[]);
    }
    return f;
  };
  return { compiled, session, values, feeds, params };
}

describe('finetuning ResNet18 after surgery', () => {
  it('trains only the new conv1 and fc; frozen weights are graph constants', async () => {
    const { compiled, session, values, feeds, params } = await setup();
    expect(params.map((p) => p.name)).toEqual(['conv1.weight', 'fc.weight', 'fc.bias']);
    const frozen = compiled.manifest.parameters.filter((p) => !p.trainable).length;
    expect(frozen).toBeGreaterThan(100);
    const out = await session.run(feeds(0.1));
    for (const p of params) {
      const before = values.get(p.name)!;
      const after = out[`${p.name}.next`].data as Float32Array;
      expect(
        after.some((v, i) => v !== before[i]),
        p.name,
      ).toBe(true);
    }
    const stateOutputs = Object.keys(out).filter((k) => k.endsWith('.next'));
    expect(stateOutputs.sort()).toEqual(['conv1.weight.next', 'fc.bias.next', 'fc.weight.next']);
  });

  it("conv1's gradient, through every frozen layer, matches finite differences", async () => {
    const { session, values, feeds } = await setup();
    const grad = (await session.run(feeds(0)))['conv1.weight.grad'].data as Float32Array;
    const norm = Math.sqrt(grad.reduce((s, g) => s + g * g, 0));
    expect(norm).toBeGreaterThan(1e-4);
    // The directional derivative along the gradient equals its norm.
    const base = values.get('conv1.weight')!;
    const eps = 1e-2;
    const loss = async (sign: number) => {
      const moved = base.map((w, i) => w + (sign * eps * grad[i]) / norm);
      return ((await session.run(feeds(0, moved))).loss.data as Float32Array)[0];
    };
    const numeric = ((await loss(1)) - (await loss(-1))) / (2 * eps);
    expect(Math.abs(numeric - norm) / norm).toBeLessThan(0.02);
  });
});
