// Finetuning the imported ResNet18 after the seed's surgery: a training step changes only the
// new conv1 and fc, frozen layers (batch norms in eval mode: `batch_stats: false`) stay constants
// of the graph, and the gradient still flows back
// through every frozen layer to conv1 (checked against finite differences of the loss). The
// spec's second stage trains layer4 too, in a parameter group with a tenth of the learning rate.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import {
  checkSpec,
  compileRecipe,
  initialParameters,
  Rng,
  stageRecipe,
} from '../../../compiler/index.js';
import { readOnnx } from '../../../compiler/onnx/read.js';
import { readBinary, readImport } from '../../../runtime/cli/load.js';
import { withFixtureModels } from '../../helpers/fixture-models.js';
import { RESNET18_ONNX as ONNX } from '../../helpers/machine.js';
const SPEC = `
dataset D { train = idx("unused-images", "unused-labels") }
network Finetuned = onnx(${JSON.stringify(ONNX)}, shape: [1, 32, 32]) {
  freeze *, batch_stats: false
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
    // Every constant in the step is read: the weights that layer3 and layer4 hold as dense
    // matrices, and frozen batch norms' batch counters, are not written into the file.
    const model = readOnnx(compiled.train);
    const read = new Set(model.nodes.flatMap((n) => n.inputs));
    expect([...model.initializers.keys()].filter((name) => !read.has(name))).toEqual([]);
    expect(model.initializers.has('layer3.0.conv2.weight')).toBe(false);
    expect(model.initializers.has('layer1.0.conv1.weight')).toBe(true);
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

  it("specs/resnet18-finetune.net: layer4's group lr applies once it is unfrozen", async () => {
    const path = join(withFixtureModels('specs'), 'specs/resnet18-finetune.net');
    const text = readFileSync(path, 'utf8');
    const { spec, diagnostics } = checkSpec(text, path, readImport, readBinary);
    expect(diagnostics).toEqual([]);
    const recipe = spec.recipes.get('Finetune')!;
    // Stage 1 (epoch 2 on): layer4 trainable beside the new conv1 and fc.
    const compiled = compileRecipe(stageRecipe(recipe, 1));
    const params = compiled.manifest.graphs.train.inputs.filter((i) => i.role.kind === 'param');
    expect(params.some((p) => p.name === 'layer4.1.conv2.weight')).toBe(true);
    expect(params.some((p) => p.name === 'layer3.1.conv2.weight')).toBe(false);
    const session = await ort.InferenceSession.create(compiled.train, { logSeverityLevel: 3 });
    const values = initialParameters(recipe.model, recipe.seed);
    const rng = new Rng(2, 'finetune-groups');
    const feeds: Record<string, ort.Tensor> = {
      input: new ort.Tensor(
        'float32',
        Float32Array.from({ length: 2 * 28 * 28 }, () => rng.normal()),
        [2, 1, 28, 28],
      ),
      labels: new ort.Tensor('int64', BigInt64Array.of(1n, 8n), [2]),
      lr: new ort.Tensor('float32', Float32Array.of(compiled.manifest.learningRate), []),
      step: new ort.Tensor('int64', BigInt64Array.of(0n), []),
    };
    for (const input of compiled.manifest.graphs.train.inputs) {
      const { role } = input;
      const dims = input.shape as number[];
      if (role.kind === 'param')
        feeds[input.name] = new ort.Tensor('float32', values.get(role.param)!, dims);
      if (role.kind === 'buffer')
        feeds[input.name] = new ort.Tensor('float32', values.get(role.buffer)!, dims);
      if (role.kind === 'state') {
        const zeros = new Float32Array(dims.reduce((a, b) => a * b, 1));
        feeds[input.name] = new ort.Tensor('float32', zeros, dims);
      }
    }
    const out = await session.run(feeds);
    // Adam's first step moves each weight by lr·|g|/(|g| + eps): its group's lr wherever g ≠ 0.
    const medianStep = (name: string) => {
      const before = values.get(name)!;
      const after = out[`${name}.next`].data as Float32Array;
      const moved = Array.from(after, (w, i) => Math.abs(w - before[i]))
        .filter((d) => d > 0)
        .sort((a, b) => a - b);
      return moved[moved.length >> 1];
    };
    expect(medianStep('fc.weight')).toBeCloseTo(1e-3, 5);
    expect(medianStep('conv1.weight')).toBeCloseTo(1e-3, 5);
    expect(medianStep('layer4.1.conv2.weight')).toBeCloseTo(1e-4, 6);
    expect(medianStep('layer4.0.bn1.weight')).toBeCloseTo(1e-4, 6);
  });
});
