// A convolution on a tiny map lowered as one GEMM over a dense matrix (conv-dense.ts) must
// compute what the Conv computes, forward and backward: both are built in float32 graphs from
// the same weights, constant (frozen) or fed (trainable), and their outputs and gradients — of
// the input, and of trainable weights and bias — compared.
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { backward } from '../../../compiler/autodiff/backward.js';
import { Rng } from '../../../compiler/index.js';
import { GraphBuilder } from '../../../compiler/ir/builder.js';
import { tensor } from '../../../compiler/ir/graph.js';
import type { ConvWindow } from '../../../compiler/layers/conv-crop.js';
import { denseConv } from '../../../compiler/layers/conv-dense.js';
import { outputLength } from '../../../compiler/layers/conv.js';
import { serializeModel } from '../../../compiler/onnx/serialize.js';
import { onnx } from '../../../compiler/ops/index.js';

interface Case {
  name: string;
  /** [C, H, W] of the input, [O, C, kh, kw] of the weights. */
  input: number[];
  weights: number[];
  window: Omit<ConvWindow, 'kernel'>;
  bias?: boolean;
  groups?: number;
}

const unit = { strides: [1, 1], dilations: [1, 1] };
const APPLIES: Case[] = [
  {
    name: '3×3 padding 1 on 2×2',
    input: [5, 2, 2],
    weights: [6, 5, 3, 3],
    window: { ...unit, pads: [1, 1, 1, 1] },
    bias: true,
  },
  {
    name: '3×3 stride 2 padding 1, 2×2 → 1×1',
    input: [4, 2, 2],
    weights: [3, 4, 3, 3],
    window: { strides: [2, 2], dilations: [1, 1], pads: [1, 1, 1, 1] },
  },
  {
    name: '3×3 padding 1 on 1×1',
    input: [3, 1, 1],
    weights: [2, 3, 3, 3],
    window: { ...unit, pads: [1, 1, 1, 1] },
    bias: true,
  },
  {
    name: 'rectangular 2×3 kernel on 2×3, no padding',
    input: [2, 2, 3],
    weights: [4, 2, 2, 3],
    window: { ...unit, pads: [0, 0, 0, 0] },
  },
];
const DECLINES: Case[] = [
  {
    name: 'a dilated kernel on 2×2 (each output reads one position per axis)',
    input: [3, 2, 2],
    weights: [3, 3, 2, 2],
    window: { strides: [1, 1], dilations: [2, 2], pads: [1, 1, 1, 1] },
  },
  {
    name: '3×3 padding 1 on 4×4 (the matrix would hold zeros)',
    input: [2, 4, 4],
    weights: [2, 2, 3, 3],
    window: { ...unit, pads: [1, 1, 1, 1] },
  },
  {
    name: 'groups 2',
    input: [4, 2, 2],
    weights: [4, 2, 3, 3],
    window: { ...unit, pads: [1, 1, 1, 1] },
    groups: 2,
  },
  {
    name: '1×1 stride 2 on 2×2 (reads one position in four)',
    input: [2, 2, 2],
    weights: [2, 2, 1, 1],
    window: { strides: [2, 2], dilations: [1, 1], pads: [0, 0, 0, 0] },
  },
];

function build(c: Case, dense: boolean, trainable: boolean) {
  const rng = new Rng(7, c.name);
  const b = new GraphBuilder('dense', 'float32');
  const x = b.input('x', 'float32', ['N', ...c.input]);
  const random = (dims: number[]) =>
    tensor(
      'float32',
      dims,
      Float32Array.from({ length: dims.reduce((a, d) => a * d, 1) }, () => rng.normal()),
    );
  const fed: Record<string, ort.Tensor> = {};
  const param = (name: string, dims: number[]) => {
    const value = random(dims);
    if (!trainable) return b.initializer(name, value);
    fed[name] = new ort.Tensor('float32', value.data as Float32Array, dims);
    return b.input(name, 'float32', dims);
  };
  const w = param('w', c.weights);
  const bias = c.bias ? param('b', [c.weights[0]]) : undefined;
  const window = { ...c.window, kernel: c.weights.slice(2) };
  const out = c.input
    .slice(1)
    .map((size, i) =>
      outputLength(
        size,
        window.kernel[i],
        window.strides[i],
        window.pads[i],
        window.pads[i + 2],
        window.dilations[i],
      ),
    );
  const groups = c.groups ?? 1;
  const y = dense
    ? denseConv(b, x, w, bias, window, out, groups)
    : b.op(onnx.Conv, bias ? [x, w, bias] : [x, w], {
        kernel_shape: window.kernel,
        strides: window.strides,
        pads: window.pads,
        dilations: window.dilations,
        group: groups,
      });
  if (!y) return undefined;
  const v = b.input('v', 'float32', b.info(y).shape);
  const loss = b.reduceSum(b.op(onnx.Mul, [y, v]), [0, 1, 2, 3], false);
  const wrt = [x, ...Object.keys(fed)];
  const grads = backward(b, loss, wrt);
  const results = [y, ...wrt.map((name) => grads.get(name)!)];
  b.graph.outputs.push(...results.map((name) => b.info(name)));
  return {
    model: serializeModel(b.graph),
    ops: b.graph.nodes.map((n) => n.op),
    results,
    fed,
    shape: b.info(y).shape,
  };
}

/** The output, then the gradients of the input and of each fed parameter. */
async function run(built: NonNullable<ReturnType<typeof build>>, c: Case) {
  const rng = new Rng(3, 'feeds');
  const n = 3;
  const fill = (dims: number[]) =>
    new ort.Tensor(
      'float32',
      Float32Array.from({ length: dims.reduce((a, d) => a * d, 1) }, () => rng.normal()),
      dims,
    );
  const feeds = {
    x: fill([n, ...c.input]),
    v: fill([n, ...(built.shape.slice(1) as number[])]),
    ...built.fed,
  };
  const session = await ort.InferenceSession.create(built.model, { logSeverityLevel: 3 });
  const out = await session.run(feeds);
  return built.results.map((name) => out[name].data as Float32Array);
}

describe('convolutions on tiny maps as one GEMM', () => {
  const cases = APPLIES.flatMap((c) =>
    [false, true].map((trainable) => [c.name, trainable ? 'trainable' : 'frozen', c] as const),
  );
  it.each(cases)(
    '%s, %s weights: the same output and gradients as Conv',
    async (...[, kind, c]) => {
      const trainable = kind === 'trainable';
      const dense = build(c, true, trainable)!;
      expect(dense.ops).toContain('Gemm');
      expect(dense.ops).not.toContain('Conv');
      const ours = await run(dense, c);
      const reference = await run(build(c, false, trainable)!, c);
      expect(ours).toHaveLength(trainable ? (c.bias ? 4 : 3) : 2);
      ours.forEach((values, k) => {
        expect(values.length).toBe(reference[k].length);
        const scale = Math.max(...reference[k].map(Math.abs));
        const worst = Math.max(...values.map((v, i) => Math.abs(v - reference[k][i])));
        expect(worst / scale).toBeLessThan(1e-5);
      });
    },
  );

  it.each(DECLINES.map((c) => [c.name, c] as const))('declines %s', (_name, c) => {
    expect(build(c, true, false)).toBeUndefined();
    expect(build(c, true, true)).toBeUndefined();
  });
});
