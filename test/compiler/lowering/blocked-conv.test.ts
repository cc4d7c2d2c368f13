// The CPU lowering's blocked convolutions (compiler/lower/blocked-conv.ts) must compute what the
// standard Conv computes, forward and backward, on every trainable convolution the specs in
// specs/ make (every stage of every recipe): each conv shape is built into a small graph — the
// Conv, a weighted sum as the loss, autodiff — once in standard ops and once rewritten for the
// block size this CPU's probe found, and the output and the gradients of the input, weight and
// bias compared. Whole train steps are compared too, and the probe's fallback is checked.
// (The PyTorch goldens run on the blocked lowering in test/compiler/oracle/golden.test.ts.)
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { backward } from '../../../compiler/autodiff/backward.js';
import type { Recipe } from '../../../compiler/index.js';
import {
  checkSpec,
  compileInference,
  initialParameters,
  recipeGraphs,
  Rng,
  stageRecipe,
} from '../../../compiler/index.js';
import { GraphBuilder } from '../../../compiler/ir/builder.js';
import type { Graph, Node, Shape } from '../../../compiler/ir/graph.js';
import { lowerBlockedConvs } from '../../../compiler/lower/blocked-conv.js';
import { readOnnx } from '../../../compiler/onnx/read.js';
import { OpsetError } from '../../../compiler/onnx/opset.js';
import { serializeModel } from '../../../compiler/onnx/serialize.js';
import { onnx } from '../../../compiler/ops/index.js';
import {
  blockedWorks,
  convLowering,
  cpuConvLowering,
  probeConvLowering,
} from '../../../runtime/blocked-probe.js';
import { readBinary, readImport } from '../../../runtime/cli/load.js';
import { expectedConvBlock } from '../../helpers/machine.js';
import { ROOT } from '../../helpers/spec.js';

// The block size this processor's flags call for; the probe must find the same.
const lowering = { block: expectedConvBlock() };
const NO_KERNEL = 'skipped on a processor without AVX2';

function specRecipes(): Recipe[] {
  const dir = join(ROOT, 'specs');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.net'))
    .sort()
    .flatMap((file) => {
      const path = join(dir, file);
      const text = readFileSync(path, 'utf8');
      const { spec } = checkSpec(text, path, readImport, readBinary);
      return [...spec.recipes.values()].flatMap((recipe) =>
        [0, ...(recipe.stages ?? []).map((_, k) => k + 1)].map((k) => stageRecipe(recipe, k)),
      );
    });
}

interface ConvCase {
  key: string;
  x: Shape;
  w: number[];
  bias: boolean;
  attrs: Node['attrs'];
}

/** Every distinct Conv with a weight fed or computed in the graph, in the specs' train steps. */
function specConvs(): ConvCase[] {
  const cases = new Map<string, ConvCase>();
  for (const recipe of specRecipes()) {
    const { graph } = recipeGraphs(recipe).train;
    const constant = new Set(graph.initializers.keys());
    for (const node of graph.nodes) {
      if (node.inputs.every((i) => constant.has(i))) node.outputs.forEach((o) => constant.add(o));
      if (node.op !== 'Conv' || constant.has(node.inputs[1]) || node.origin.includes('/grad'))
        continue;
      const x = graph.values.get(node.inputs[0])!.shape;
      const w = graph.values.get(node.inputs[1])!.shape as number[];
      const bias = node.inputs.length > 2;
      const key = `x ${x.join('×')}, w ${w.join('×')}${bias ? ' + bias' : ''} ${JSON.stringify(node.attrs)}`;
      cases.set(key, { key, x, w, bias, attrs: node.attrs });
    }
  }
  return [...cases.values()];
}

/** Conv, loss Σ y·r, and the gradients of x, w and the bias; blocked when `block` > 0. */
function convGraph(c: ConvCase, block: number): Graph {
  const b = new GraphBuilder('conv');
  b.convBlock = block;
  const x = b.input('x', 'float32', c.x);
  const w = b.input('w', 'float32', c.w);
  const inputs = c.bias ? [x, w, b.input('bias', 'float32', [c.w[0]])] : [x, w];
  const y = b.op(onnx.Conv, inputs, c.attrs, 'y');
  const r = b.input('r', 'float32', b.info(y).shape);
  const loss = b.reduceSum(b.op(onnx.Mul, [y, r]), [0, 1, 2, 3], false);
  const grads = backward(b, loss, inputs);
  b.output(y);
  inputs.forEach((v) => b.output(b.op(onnx.Identity, [grads.get(v)!], {}, `d${v}`)));
  lowerBlockedConvs(b.graph, { block });
  return b.graph;
}

/** Uniform values in [-0.5, 0.5) for every input (random: a periodic image would make ties). */
function feeds(graph: Graph, batch: number): Record<string, ort.Tensor> {
  const rng = new Rng(17, 'blocked-conv');
  return Object.fromEntries(
    graph.inputs.map((input) => {
      const dims = input.shape.map((d) => (d === 'N' ? batch : d));
      const size = dims.reduce((a, d) => a * d, 1);
      const data = Float32Array.from({ length: size }, () => rng.next() - 0.5);
      return [input.name, new ort.Tensor('float32', data, dims)];
    }),
  );
}

async function run(graph: Graph, inputs: Record<string, ort.Tensor>) {
  const session = await ort.InferenceSession.create(serializeModel(graph), {
    intraOpNumThreads: 1,
  });
  return session.run(inputs);
}

/** max |a − b| over the largest |b|. */
function relative(a: ort.Tensor, b: ort.Tensor): number {
  const x = a.data as Float32Array;
  const y = b.data as Float32Array;
  expect(a.dims).toEqual(b.dims);
  let scale = 0;
  let worst = 0;
  y.forEach((v, i) => {
    scale = Math.max(scale, Math.abs(v));
    worst = Math.max(worst, Math.abs(v - x[i]));
  });
  return worst / (scale || 1);
}

const count = (graph: Graph, op: string) => graph.nodes.filter((n) => n.op === op).length;

describe.skipIf(lowering.block === 0)(
  `blocked convolutions compute what Conv computes (${NO_KERNEL})`,
  () => {
    const cases = specConvs();

    it('the specs have trainable convolutions of many shapes', () => {
      // conv1 of the CNNs (1 input channel), 32→64, ResNet's 7×7 stride 2, 3×3 and 1×1 projections.
      expect(cases.length).toBeGreaterThanOrEqual(10);
    });

    it.each(cases.map((c) => [c.key, c] as const))('%s', async (_, c) => {
      const standard = convGraph(c, 0);
      const blocked = convGraph(c, lowering.block);
      expect(count(standard, 'NchwcConv')).toBe(0);
      expect(count(blocked, 'NchwcConv'), 'the forward Conv is blocked').toBeGreaterThanOrEqual(1);
      const inputs = feeds(standard, 3);
      const [want, got] = [await run(standard, inputs), await run(blocked, inputs)];
      for (const name of Object.keys(want)) {
        expect(relative(got[name], want[name]), name).toBeLessThan(2e-6);
      }
    });
  },
);

describe.skipIf(lowering.block === 0)(`train steps on the blocked lowering (${NO_KERNEL})`, () => {
  const steps = [
    ['specs/fashion-cnn.net', 'Baseline'],
    ['specs/resnet18.net', 'Scratch'],
    ['specs/residual.net', 'Baseline'],
  ] as const;

  it.each(steps)('%s %s: loss and every gradient as in standard ops', async (file, name) => {
    const path = join(ROOT, file);
    const { spec } = checkSpec(readFileSync(path, 'utf8'), path, readImport, readBinary);
    const recipe = spec.recipes.get(name)!;
    const graph = (block: number) =>
      recipeGraphs(recipe, { conv: { block }, gradients: true }).train.graph;
    const [standard, blocked] = [graph(0), graph(lowering.block)];
    expect(count(blocked, 'NchwcConv')).toBeGreaterThan(0);
    const inputs = feeds(standard, 16);
    const values = initialParameters(recipe.model, recipe.seed);
    for (const input of standard.inputs) {
      const value = values.get(input.name);
      if (value) inputs[input.name] = new ort.Tensor('float32', value, inputs[input.name].dims);
    }
    const labels = Array.from({ length: 16 }, (_, i) => BigInt(i % 10));
    inputs.labels = new ort.Tensor('int64', BigInt64Array.from(labels), [16]);
    inputs.step = new ort.Tensor('int64', BigInt64Array.of(1n), []);
    const [want, got] = [await run(standard, inputs), await run(blocked, inputs)];
    const compared = Object.keys(want).filter((k) => k === 'loss' || k.endsWith('.grad'));
    expect(compared.length).toBeGreaterThan(2);
    // Rounding differs (the blocked kernel sums in another order), through many layers.
    for (const k of compared) expect(relative(got[k], want[k]), k).toBeLessThan(2e-5);
  });
});

describe('what never holds a non-standard op', () => {
  const path = join(ROOT, 'specs/resnet18.net');
  const { spec } = checkSpec(readFileSync(path, 'utf8'), path, readImport, readBinary);
  const recipe = spec.recipes.get('Scratch')!;
  const domains = (bytes: Uint8Array) => new Set(readOnnx(bytes).nodes.map((n) => n.domain));

  it('the inference graph and an export, whatever the step graphs use', () => {
    const graphs = recipeGraphs(recipe, { conv: { block: 16 } });
    expect(count(graphs.train.graph, 'NchwcConv')).toBeGreaterThan(0);
    expect(count(graphs.infer.graph, 'NchwcConv')).toBe(0);
    const weights = initialParameters(recipe.model, recipe.seed);
    expect(domains(compileInference(recipe.model, weights))).toEqual(new Set(['']));
    expect(domains(compileInference(recipe.model, weights, {}, 13))).toEqual(new Set(['']));
  });

  it('a graph with a blocked op is refused at any explicit opset', () => {
    const { graph } = recipeGraphs(recipe, { conv: { block: 16 } }).eval;
    expect(() => serializeModel(graph, { opset: 18 })).toThrow(OpsetError);
    expect(() => serializeModel(graph, { opset: 18 })).toThrow(/com\.microsoft\.nchwc/);
    expect(domains(serializeModel(graph))).toEqual(new Set(['', 'com.microsoft.nchwc']));
  });
});

describe('the probe', () => {
  it('finds the block size this CPU runs, or none', async () => {
    expect(await cpuConvLowering()).toEqual(lowering);
    if (lowering.block > 0) expect(await blockedWorks(lowering.block)).toBe(true);
    const wrong = lowering.block === 16 ? 8 : 16;
    expect(await blockedWorks(wrong)).toBe(false);
  });

  it('is what CPU training compiles with, and no other device', async () => {
    expect(await convLowering('cpu')).toEqual(lowering);
    expect(await convLowering('cuda')).toEqual({ block: 0 });
  });

  it('falls back to standard ops when no block size works', async () => {
    expect(await probeConvLowering([7, 5])).toEqual({ block: 0 });
    const graph = recipeGraphs(
      checkSpec(
        readFileSync(join(ROOT, 'specs/fashion-cnn.net'), 'utf8'),
        'cnn.net',
      ).spec.recipes.get('Baseline')!,
      { conv: await probeConvLowering([7]) },
    ).train.graph;
    expect(count(graph, 'NchwcConv')).toBe(0);
  });
});
