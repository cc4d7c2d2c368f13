// The WebGPU lowering variants compute what the CPU graphs compute: both graphs run on
// onnxruntime's CPU provider from the same state and batches, and every output agrees to float32
// rounding — the max-pool gradient by gathered windows (overlapping, padded, ties everywhere),
// the stable log-softmax, the device-counted batch in batch norm and means, the sign without
// Sign, the first-maximum accuracy, the half batches of grad_variance. Where the variants
// differ on purpose (dropout's hash) the statistics are checked instead. And the placement
// check names the layers whose nodes would fall back to the CPU, at their spec positions.
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import type { Diagnostic, Recipe } from '../../../compiler/index.js';
import { compileRecipe } from '../../../compiler/index.js';
import { placementWarnings } from '../../../compiler/lower/placement.js';
import { buildTrainStep } from '../../../compiler/lower/steps.js';
import { lowerModel } from '../../../compiler/lower/forward.js';
import { GraphBuilder } from '../../../compiler/ir/builder.js';
import { serializeModel } from '../../../compiler/onnx/serialize.js';
import { fallbacks } from '../../../compiler/ops/support.js';
import { onnx } from '../../../compiler/ops/index.js';
import { networkOf } from './layers-probe.js';
import { recipeOf } from '../../helpers/spec.js';
import type { Batch } from '../../helpers/webgpu.js';
import { cpuSession, outputsBeyond, trainSteps } from '../../helpers/webgpu.js';

const SOURCE = (
  network: string,
  settings = 'loss = cross_entropy',
  input = [1, 12, 12],
) => `dataset D {
  train = idx("images.gz", "labels.gz")
}
network N {
  input x: [${input.join(', ')}]
  x -> ${network}
}
train T {
  model = N()
  data = D, batch: 5
  optimizer = SGD(lr: 0.1, momentum: 0.9)
  epochs = 1
  seed = 3
  ${settings}
}
`;

function spec(network: string, settings: string, input = [1, 12, 12]): Recipe {
  return recipeOf(SOURCE(network, settings, input));
}

/**
 * Images with a zero background (so max-pool windows tie, as Fashion-MNIST's do) and labels;
 * an odd batch, so grad_variance's halves differ in size.
 */
function batches(count: number, shape = [1, 12, 12], size = 5): Batch[] {
  const pixels = shape.reduce((a, b) => a * b, 1);
  return Array.from({ length: count }, (_, s) => ({
    images: Float32Array.from({ length: size * pixels }, (_, i) =>
      (i * 7 + s) % 5 === 0 ? ((i * 13 + s) % 11) / 11 : 0,
    ),
    labels: Array.from({ length: size }, (_, k) => (k * 3 + s) % 10),
    shape,
  }));
}

/** Three steps of the cpu graphs and of the webgpu graphs, both on the CPU provider. */
async function bothTargets(recipe: Recipe) {
  const data = batches(3);
  const run = async (target: 'cpu' | 'webgpu') => {
    const compiled = compileRecipe(recipe, { target });
    return trainSteps(await cpuSession(compiled.train), recipe, compiled, data);
  };
  return { cpu: await run('cpu'), webgpu: await run('webgpu') };
}

const CASES: [string, string, string][] = [
  [
    'max pooling: overlapping padded 3×3 windows and 2×2 tiles, with ties',
    'Conv2d(1, 4, 3, padding: 1) -> ReLU -> MaxPool2d(3, stride: 2, padding: 1) -> Conv2d(4, 6, 3, padding: 1) -> MaxPool2d(2) -> Flatten -> Linear(auto, 10)',
    'loss = cross_entropy',
  ],
  [
    'batch norm with batch statistics, log-softmax and nll',
    'Flatten -> Linear(144, 32) -> BatchNorm1d(32) -> ReLU -> Linear(32, 10) -> LogSoftmax(1)',
    'loss = nll',
  ],
  [
    'label smoothing, LayerNorm, GroupNorm and InstanceNorm',
    'Conv2d(1, 8, 3) -> InstanceNorm2d(8, affine: true) -> GroupNorm(2, 8) -> LayerNorm([8, 10, 10]) -> Flatten -> Linear(auto, 10)',
    'loss = cross_entropy(label_smoothing: 0.1)',
  ],
  ['the l1 loss (its gradient without Sign)', 'Flatten -> Linear(144, 10)', 'loss = l1'],
  [
    'grad_variance (its half batches counted on the device), clipping, SAM, Adam',
    'Flatten -> Linear(144, 16) -> ReLU -> Linear(16, 10)',
    'loss = cross_entropy\n  clip = grad_norm(1.0)\n  sharpness = sam(rho: 0.05)\n  monitor = [grad_norm, param_norm, grad_variance]',
  ],
];

describe('webgpu lowering variants', () => {
  for (const [what, network, settings] of CASES) {
    it(`compute what the cpu graphs compute: ${what}`, async () => {
      const { cpu, webgpu } = await bothTargets(spec(network, settings));
      cpu.forEach((expected, step) => {
        expect(Object.keys(expected).length).toBeGreaterThan(3);
        expect(outputsBeyond(webgpu[step], expected, 2e-6), `step ${step}`).toEqual({});
      });
    });
  }

  it('count a batch as ArgMax does, the first maximum winning ties', async () => {
    // A zero-initialized last layer ties every logit at first: ArgMax picks class 0.
    const recipe = spec('Flatten -> Linear(144, 10)', 'loss = cross_entropy\n  init = zeros');
    const { cpu, webgpu } = await bothTargets(recipe);
    expect(cpu[0].correct.data[0]).toBeGreaterThan(0);
    expect(Array.from(webgpu.map((o) => o.correct.data[0]))).toEqual(
      cpu.map((o) => o.correct.data[0]),
    );
  });
});

describe('placement', () => {
  const network =
    'Conv2d(1, 4, 3) -> ReLU -> MaxPool2d(2) -> Dropout(0.3) -> Flatten -> Linear(auto, 10)';

  it('warns at each layer whose nodes would run on the CPU, at its place in the spec', () => {
    const recipe = spec(network, 'loss = cross_entropy');
    // The CPU's train step placed on WebGPU: what the variants exist for.
    const warnings = placementWarnings(recipe, [buildTrainStep(recipe).graph], 'webgpu');
    const text = (w: Diagnostic) => SOURCE(network).slice(w.span.start.offset);
    const at = Object.fromEntries(warnings.map((w) => [w.message.split(' would ')[0], w]));
    expect(Object.keys(at)).toEqual(
      expect.arrayContaining([
        "on webgpu, layer 'maxpool2d1' (MaxPool2d)",
        "on webgpu, layer 'dropout1' (Dropout)",
        "on webgpu, recipe 'T' (loss)",
      ]),
    );
    for (const w of warnings) expect([w.severity, w.code]).toEqual(['warning', 'NS3001']);
    expect(text(at["on webgpu, layer 'dropout1' (Dropout)"])).toMatch(/^Dropout\(0\.3\)/);
    expect(at["on webgpu, layer 'dropout1' (Dropout)"].message).toMatch(/BitwiseXor/);
    expect(text(at["on webgpu, layer 'maxpool2d1' (MaxPool2d)"])).toMatch(/^MaxPool2d\(2\)/);
  });

  it('has nothing to warn about in the graphs compiled for each target', () => {
    const recipe = spec(network, 'loss = cross_entropy');
    for (const target of ['cpu', 'webgpu', 'cuda'] as const)
      expect(compileRecipe(recipe, { target }).warnings).toEqual([]);
    expect(compileRecipe(recipe, { target: 'webgpu' }).steps).toBeUndefined();
  });
});

/** Dropout's output for `x` = 1 everywhere at `steps`, lowered for WebGPU and run on the CPU. */
async function webgpuDropout(layer: string, steps: number[], features = 400, batch = 6) {
  const model = networkOf(layer, [features]);
  const b = new GraphBuilder('dropout', 'float32', 'webgpu');
  const x = b.input('x', 'float32', model.input.shape);
  const step = b.input('step', 'int32', []);
  const ctx = { mode: 'train' as const, step, seed: 1 };
  b.output(b.op(onnx.Identity, [lowerModel(b, model, x, (n) => n, ctx).output], {}, 'y'));
  expect(fallbacks(b.graph, 'webgpu')).toEqual([]);
  const session = await cpuSession(serializeModel(b.graph));
  const masks = [];
  for (const s of steps) {
    const out = await session.run({
      x: new ort.Tensor('float32', new Float32Array(batch * features).fill(1), [batch, features]),
      step: new ort.Tensor('int32', Int32Array.of(s), []),
    });
    masks.push(Array.from(out.y.data as Float32Array, (v) => (v !== 0 ? 1 : 0)));
  }
  return masks;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe("webgpu's dropout hash (multiplications and additions only)", () => {
  it('keeps 1 − p, independently of neighbours and of other steps, the same at a re-run', async () => {
    const [a, b, again] = await webgpuDropout('Dropout(0.3)', [0, 1, 0]);
    expect(Math.abs(mean(a) - 0.7)).toBeLessThan(0.02);
    expect(again).toEqual(a);
    // Independent decisions: both kept with probability 0.49; agreeing with 0.58.
    const pairs = (m: number[], lag: number) => mean(m.slice(lag).map((k, i) => k * m[i]));
    for (const lag of [1, 2, 400]) expect(Math.abs(pairs(a, lag) - 0.49)).toBeLessThan(0.03);
    expect(Math.abs(mean(a.map((k, i) => (k === b[i] ? 1 : 0))) - 0.58)).toBeLessThan(0.03);
  });

  it('shares one mask across the batch with per: "batch"', async () => {
    const [mask] = await webgpuDropout('Dropout(0.5, per: "batch")', [3]);
    const rows = Array.from({ length: 6 }, (_, n) => mask.slice(n * 400, (n + 1) * 400));
    for (const row of rows) expect(row).toEqual(rows[0]);
    expect(Math.abs(mean(rows[0]) - 0.5)).toBeLessThan(0.06);
  });
});
