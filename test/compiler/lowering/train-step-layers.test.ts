// A train step with batch norm, GELU, dropout, a concat merge, layer norm, SiLU and LogSoftmax,
// compiled in float64: every parameter gradient matches central finite differences of the step's own
// loss (dropout is deterministic for a given step), the buffers are step inputs with `.next`
// outputs and no gradients, the manifest gives every input and output its role, and no node's
// result goes unread.
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { compileRecipe, initialParameters, Rng } from '../../../compiler/index.js';
import { buildTrainStep } from '../../../compiler/lower/steps.js';
import { recipeOf } from '../../helpers/spec.js';
import { networkOf, probe } from './layers-probe.js';

const SPEC = `
dataset D { train = idx("unused-images", "unused-labels") }
network Net {
  input x: [2, 6]
  h = x -> Flatten -> Linear(12, 8) -> BatchNorm1d(8) -> GELU(approximate: "tanh") -> Dropout(0.3)
  g = x -> Flatten -> Linear(12, 4) -> Tanh
  concat(h, g, dim: 1) -> Linear(12, 6) -> LayerNorm(6) -> SiLU -> Linear(6, 5) -> LogSoftmax(1)
}
train T {
  model = Net()
  data = D, batch: 16
  loss = cross_entropy
  optimizer = SGD(lr: 0.1)
  epochs = 1
}`;

const BATCH = 16;

async function setup() {
  const recipe = recipeOf(SPEC);
  const compiled = compileRecipe(recipe, { floatType: 'float64', gradients: true });
  const session = await ort.InferenceSession.create(compiled.train);
  const rng = new Rng(9, 'layers-gradcheck');
  const initial = initialParameters(recipe.model, 3);
  // Random affine parameters, so the check does not sit at batch norm's γ = 1, β = 0.
  const values = new Map(
    [...initial].map(([name, v]) => [
      name,
      name.includes('norm') && !name.includes('num_batches')
        ? Float64Array.from(v, (x) => x + 0.3 * rng.normal())
        : Float64Array.from(v),
    ]),
  );
  const x = Float64Array.from({ length: BATCH * 12 }, () => rng.normal());
  const labels = BigInt64Array.from({ length: BATCH }, () => BigInt(rng.below(5)));
  const feeds = () => {
    const f: Record<string, ort.Tensor> = {};
    for (const input of compiled.manifest.graphs.train.inputs) {
      const dims = input.shape.map((d) => (d === 'N' ? BATCH : d));
      const role = input.role;
      if (role.kind === 'param')
        f[input.name] = new ort.Tensor('float64', values.get(role.param)!, dims);
      if (role.kind === 'buffer')
        f[input.name] = new ort.Tensor('float64', values.get(role.buffer)!, dims);
    }
    f.x = new ort.Tensor('float64', x, [BATCH, 2, 6]);
    f.labels = new ort.Tensor('int64', labels, [BATCH]);
    f.lr = new ort.Tensor('float64', Float64Array.of(0), []);
    f.step = new ort.Tensor('int64', BigInt64Array.of(7n), []);
    return f;
  };
  const loss = async () => ((await session.run(feeds())).loss.data as Float64Array)[0];
  return { compiled, session, values, feeds, loss };
}

describe('a train step with normalization, dropout and new activations', () => {
  it('has gradients matching central finite differences for every parameter entry', async () => {
    const { compiled, session, values, feeds, loss } = await setup();
    const out = await session.run(feeds());
    const eps = 1e-6;
    let checked = 0;
    for (const p of compiled.manifest.parameters.filter((p) => p.trainable)) {
      const v = values.get(p.name)!;
      const analytic = out[`${p.name}.grad`].data as Float64Array;
      for (let i = 0; i < v.length; i++) {
        const saved = v[i];
        v[i] = saved + eps;
        const up = await loss();
        v[i] = saved - eps;
        const down = await loss();
        v[i] = saved;
        const numeric = (up - down) / (2 * eps);
        expect(Math.abs(analytic[i] - numeric), `${p.name}[${i}]`).toBeLessThan(
          1e-7 + 1e-6 * Math.abs(numeric),
        );
        checked++;
      }
    }
    expect(checked).toBe(12 * 8 + 8 + 2 * 8 + 12 * 4 + 4 + 12 * 6 + 6 + 2 * 6 + 6 * 5 + 5);
    const bnGrad = out['batchnorm1d1.weight.grad'].data as Float64Array;
    expect(Math.max(...bnGrad.map(Math.abs))).toBeGreaterThan(1e-3);
  });

  it('carries buffers as inputs and `.next` outputs, never trained', async () => {
    const { compiled } = await setup();
    const { manifest } = compiled;
    const buffers = ['running_mean', 'running_var', 'num_batches_tracked'].map(
      (b) => `batchnorm1d1.${b}`,
    );
    const role = (e: { name: string; role: { kind: string } }) => `${e.name}:${e.role.kind}`;
    const trainIn = manifest.graphs.train.inputs.map(role);
    const trainOut = manifest.graphs.train.outputs.map(role);
    for (const b of buffers) {
      expect(trainIn).toContain(`${b}:buffer`);
      expect(trainOut).toContain(`${b}.next:buffer`);
      expect(trainOut).not.toContain(`${b}.grad:gradient`);
      expect(manifest.graphs.eval.inputs.map(role)).toContain(`${b}:buffer`);
      expect(manifest.parameters.find((p) => p.name === b)!.trainable).toBe(false);
    }
    expect(manifest.graphs.infer.inputs.map(role)).toEqual(['x:images']);
  });

  it('has no node whose result nothing reads (unneeded gradients, such as the mask’s, are dropped)', () => {
    const { graph } = buildTrainStep(recipeOf(SPEC));
    const read = new Set([
      ...graph.nodes.flatMap((n) => n.inputs),
      ...graph.outputs.map((o) => o.name),
    ]);
    const dead = graph.nodes.filter((n) => !n.outputs.some((o) => read.has(o)));
    expect(dead.map((n) => `${n.op} (${n.origin})`)).toEqual([]);
    // The mask's own gradient would be a Mul of dY by the dropout's input, in the dropout's grad.
    const dropoutGrads = graph.nodes.filter((n) => n.origin.startsWith('dropout1/grad'));
    expect(dropoutGrads.map((n) => n.op)).toEqual(['Mul']);
  });

  it('updates num_batches_tracked and the running statistics in the train step', async () => {
    const { session, feeds } = await setup();
    const out = await session.run(feeds());
    expect(out['batchnorm1d1.num_batches_tracked.next'].data[0]).toBe(1);
    const mean = out['batchnorm1d1.running_mean.next'].data as Float64Array;
    expect(Math.max(...mean.map(Math.abs))).toBeGreaterThan(1e-3);
  });
});

describe('batch norm on a batch of one (a short last batch)', () => {
  it('keeps the running statistics finite (torch refuses such a batch)', async () => {
    const model = networkOf('BatchNorm1d(3)', [3]);
    const { session } = await probe(model, 'train');
    const f = (values: number[], dims: number[]) =>
      new ort.Tensor('float32', Float32Array.from(values), dims);
    const out = await session.run({
      x: f([1, 2, 3], [1, 3]),
      v: f([1, 1, 1], [1, 3]),
      step: new ort.Tensor('int64', BigInt64Array.of(0n), []),
      'batchnorm1d1.weight': f([1, 1, 1], [3]),
      'batchnorm1d1.bias': f([0, 0, 0], [3]),
      'batchnorm1d1.running_mean': f([0, 0, 0], [3]),
      'batchnorm1d1.running_var': f([1, 1, 1], [3]),
      'batchnorm1d1.num_batches_tracked': f([0], []),
    });
    const runningVar = Array.from(out['batchnorm1d1.running_var.next'].data as Float32Array);
    expect(runningVar.map((v) => Number(v.toFixed(6)))).toEqual([0.9, 0.9, 0.9]);
  });
});

describe('frozen layers (surgery)', () => {
  const FROZEN_SPEC = `
dataset D { train = idx("unused-images", "unused-labels") }
network Net {
  input x: [6]
  x -> Linear(6, 5) -> BatchNorm1d(5) -> ReLU -> Linear(5, 3)
}
train T {
  model = Net()
  data = D, batch: 8
  loss = cross_entropy
  optimizer = SGD(lr: 0.1)
  epochs = 1
}`;

  it('are constants of the steps: no inputs, no gradients, batch norm from running statistics', async () => {
    const recipe = recipeOf(FROZEN_SPEC);
    for (const layer of recipe.model.layers.slice(0, 2)) layer.frozen = true;
    const compiled = compileRecipe(recipe);
    const { manifest } = compiled;
    const inputs = manifest.graphs.train.inputs.map((i) => i.name);
    expect(inputs.filter((n) => n.includes('.'))).toEqual(['linear2.weight', 'linear2.bias']);
    expect(manifest.parameters.filter((p) => p.trainable).map((p) => p.name)).toEqual([
      'linear2.weight',
      'linear2.bias',
    ]);
    expect(manifest.parameters).toHaveLength(9);
    // With batch norm on running statistics in both, the train and eval steps agree on the loss.
    const rng = new Rng(4, 'frozen');
    const initial = initialParameters(recipe.model, recipe.seed);
    const feeds: Record<string, ort.Tensor> = {
      x: new ort.Tensor(
        'float32',
        Float32Array.from({ length: 48 }, () => rng.normal()),
        [8, 6],
      ),
      labels: new ort.Tensor(
        'int64',
        BigInt64Array.from({ length: 8 }, (_, i) => BigInt(i % 3)),
        [8],
      ),
    };
    for (const name of ['linear2.weight', 'linear2.bias']) {
      const shape = manifest.parameters.find((p) => p.name === name)!.shape;
      feeds[name] = new ort.Tensor('float32', initial.get(name)!, shape);
    }
    const evalSession = await ort.InferenceSession.create(compiled.eval);
    const trainSession = await ort.InferenceSession.create(compiled.train);
    const evalLoss = (await evalSession.run(feeds)).loss.data[0];
    const trainOut = await trainSession.run({
      ...feeds,
      lr: new ort.Tensor('float32', Float32Array.of(0.1), []),
      step: new ort.Tensor('int64', BigInt64Array.of(0n), []),
    });
    expect(trainOut.loss.data[0]).toBeCloseTo(evalLoss as number, 6);
    expect(Object.keys(trainOut).filter((k) => k.startsWith('batchnorm'))).toEqual([]);
  });
});
