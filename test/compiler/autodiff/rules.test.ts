// One row per op, in the style of JAX's lax_autodiff_test.py: input shapes (broadcasting
// included), attributes, input domain and tolerance. Each row is compiled to a float64 graph
// computing L = Σ v·op(x) for a random direction v; its backward pass gives ∂L/∂x, which must
// match the central finite difference of L along a random input direction u (check_vjp).
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { backward } from '../../../compiler/autodiff/backward.js';
import { GraphBuilder } from '../../../compiler/ir/builder.js';
import type { Shape } from '../../../compiler/ir/graph.js';
import { tensor } from '../../../compiler/ir/graph.js';
import { expandLike, pad, reduceMean, slice } from '../../../compiler/ir/ops-helpers.js';
import { serializeModel } from '../../../compiler/onnx/serialize.js';
import { Rng } from '../../../compiler/index.js';

/** real: N(0,1); positive: ≥ 0.5 (Log, Sqrt, denominators); away: |x| ≥ 0.3, off kinks at 0. */
type Domain = 'real' | 'positive' | 'away';
interface Row {
  name: string;
  inputs: { shape: Shape; domain?: Domain }[];
  build: (b: GraphBuilder, xs: string[]) => string;
  tol?: number;
  /** float32 for ops onnxruntime has no float64 kernel for (Erf), with a wider step and tolerance. */
  float32?: boolean;
}

const op =
  (type: string, attrs = {}) =>
  (b: GraphBuilder, xs: string[]) =>
    b.op(type, xs, attrs);
const real = (...shape: Shape) => ({ shape });
const positive = (...shape: Shape) => ({ shape, domain: 'positive' as const });
const away = (...shape: Shape) => ({ shape, domain: 'away' as const });

const ROWS: Row[] = [
  { name: 'Sigmoid', inputs: [real(3, 4)], build: op('Sigmoid') },
  { name: 'Tanh', inputs: [real(3, 4)], build: op('Tanh') },
  { name: 'Softplus', inputs: [real(3, 4)], build: op('Softplus') },
  { name: 'LeakyRelu α=0.2', inputs: [away(3, 4)], build: op('LeakyRelu', { alpha: 0.2 }) },
  { name: 'Elu α=1.5', inputs: [away(3, 4)], build: op('Elu', { alpha: 1.5 }) },
  { name: 'Erf (float32)', inputs: [real(3, 4)], build: op('Erf'), float32: true, tol: 2e-3 },
  { name: 'Exp', inputs: [real(3, 4)], build: op('Exp') },
  { name: 'Log', inputs: [positive(3, 4)], build: op('Log') },
  { name: 'Neg', inputs: [real(3, 4)], build: op('Neg') },
  { name: 'Sqrt', inputs: [positive(3, 4)], build: op('Sqrt') },
  { name: 'Div [N,4]/[4]', inputs: [real('N', 4), positive(4)], build: op('Div') },
  { name: 'Div [3,1]/[1,4]', inputs: [real(3, 1), positive(1, 4)], build: op('Div') },
  { name: 'Pow [3,4]^[1,4]', inputs: [positive(3, 4), real(1, 4)], build: op('Pow') },
  { name: 'Mul [N,3]·[3]', inputs: [real('N', 3), real(3)], build: op('Mul') },
  { name: 'Softmax axis 1', inputs: [real(2, 3, 4)], build: op('Softmax', { axis: 1 }) },
  { name: 'Softmax axis -1', inputs: [real(2, 5)], build: op('Softmax', { axis: -1 }) },
  { name: 'LogSoftmax axis 0', inputs: [real(3, 4)], build: op('LogSoftmax', { axis: 0 }) },
  { name: 'ReduceMean [0,2] keep', inputs: [real('N', 3, 4)], build: mean([0, 2], true) },
  { name: 'ReduceMean [1] drop', inputs: [real(2, 3, 4)], build: mean([1], false) },
  { name: 'ReduceSum [1] drop', inputs: [real('N', 3, 4)], build: sum([1], false) },
  { name: 'ReduceSum [-1] keep', inputs: [real(2, 3)], build: sum([-1], true) },
  {
    name: 'BatchNormalization (inference: fixed statistics) x, γ, β',
    inputs: [real('N', 3, 2, 2), real(3), real(3)],
    build: (b, [x, gamma, beta]) => {
      const stat = (values: number[]) =>
        b.op('Constant', [], { value: tensor(b.floatType, [3], Float64Array.from(values)) });
      const [mean, variance] = [stat([0.3, -0.2, 0.1]), stat([0.5, 2, 1.3])];
      return b.op('BatchNormalization', [x, gamma, beta, mean, variance], { epsilon: 1e-3 });
    },
  },
  {
    name: 'Transpose [2,0,1]',
    inputs: [real(2, 3, 4)],
    build: op('Transpose', { perm: [2, 0, 1] }),
  },
  { name: 'Concat axis 1', inputs: [real('N', 3), real('N', 2)], build: op('Concat', { axis: 1 }) },
  {
    name: 'Concat axis -1',
    inputs: [real(2, 2, 1), real(2, 2, 3)],
    build: op('Concat', { axis: -1 }),
  },
  {
    name: 'Slice',
    inputs: [real('N', 5, 4)],
    build: (b, [x]) => slice(b, x, [1, -3], [4, 99], [1, 2]),
  },
  { name: 'Pad', inputs: [real('N', 3, 2)], build: (b, [x]) => pad(b, x, [0, 1, 0, 0, 2, 3]) },
  { name: 'Where', inputs: [real(3, 4), real(4)], build: where },
  { name: 'Expand [1,4]→[N,3,4]', inputs: [real(1, 4), real('N', 3, 4)], build: expand },
];

function mean(axes: number[], keep: boolean) {
  return (b: GraphBuilder, [x]: string[]) => reduceMean(b, x, axes, keep);
}
function sum(axes: number[], keep: boolean) {
  return (b: GraphBuilder, [x]: string[]) => b.reduceSum(x, axes, keep);
}
/** Where with a fixed pattern: both branches get a gradient. */
function where(b: GraphBuilder, [x, y]: string[]) {
  const mask = Uint8Array.from({ length: 12 }, (_, i) => (i % 3 === 0 ? 1 : 0));
  const cond = b.op('Constant', [], { value: tensor('bool', [3, 4], mask) });
  return b.op('Where', [cond, x, y]);
}
/** Expand's second input only gives the shape; it is multiplied in so both inputs matter. */
function expand(b: GraphBuilder, [x, like]: string[]) {
  return b.op('Mul', [expandLike(b, x, like), like]);
}

const BATCH = 2;
const dims = (shape: Shape) => shape.map((d) => (d === 'N' ? BATCH : d));
const size = (shape: Shape) => dims(shape).reduce((n, d) => n * d, 1);

function sample(rng: Rng, domain: Domain = 'real'): number {
  const z = rng.normal();
  if (domain === 'positive') return Math.abs(z) + 0.5;
  if (domain === 'away') return Math.sign(z || 1) * (Math.abs(z) + 0.3);
  return z;
}

/** L = Σ v·op(x), with v fed as an input so the graph's output shape needs no constant. */
async function compileRow(row: Row) {
  const dtype = row.float32 ? 'float32' : 'float64';
  const b = new GraphBuilder(row.name, dtype);
  const xs = row.inputs.map((input, k) => b.input(`x${k}`, dtype, input.shape));
  const y = row.build(b, xs);
  const v = b.input('v', dtype, b.info(y).shape);
  const loss = b.reduceSum(
    b.op('Mul', [y, v]),
    b.info(y).shape.map((_, i) => i),
    false,
  );
  const grads = backward(b, loss, xs);
  b.output(b.op('Identity', [loss], {}, 'loss'));
  xs.forEach((x, k) => b.output(b.op('Identity', [grads.get(x)!], {}, `g${k}`)));
  const session = await ort.InferenceSession.create(serializeModel(b.graph));
  return { session, outShape: b.info(y).shape };
}

describe('gradient rules against finite differences (one row per op)', () => {
  it.each(ROWS.map((row) => [row.name, row] as const))('%s', async (_name, row) => {
    const { session, outShape } = await compileRow(row);
    const rng = new Rng(2024, `vjp:${row.name}`);
    const xs = row.inputs.map((i) =>
      Float64Array.from({ length: size(i.shape) }, () => sample(rng, i.domain)),
    );
    const us = row.inputs.map((i) =>
      Float64Array.from({ length: size(i.shape) }, () => rng.normal()),
    );
    const v = Float64Array.from({ length: size(outShape) }, () => rng.normal());
    const floats = (values: Float64Array) => (row.float32 ? Float32Array.from(values) : values);
    const dtype = row.float32 ? 'float32' : 'float64';
    const feeds = (t: number) => {
      const f: Record<string, ort.Tensor> = { v: new ort.Tensor(dtype, floats(v), dims(outShape)) };
      row.inputs.forEach((input, k) => {
        const shifted = xs[k].map((x, i) => x + t * us[k][i]);
        f[`x${k}`] = new ort.Tensor(dtype, floats(shifted), dims(input.shape));
      });
      return f;
    };
    const out = await session.run(feeds(0));
    const analytic = row.inputs.reduce((acc, _, k) => {
      const g = out[`g${k}`].data as Float64Array | Float32Array;
      return acc + Array.from(g).reduce((s, gi, i) => s + gi * us[k][i], 0);
    }, 0);
    const eps = row.float32 ? 1e-2 : 1e-6;
    const lossAt = async (t: number) => Number((await session.run(feeds(t))).loss.data[0]);
    const numeric = ((await lossAt(eps)) - (await lossAt(-eps))) / (2 * eps);
    expect(Math.abs(analytic)).toBeGreaterThan(1e-3); // the check below is not vacuous
    expect(Math.abs(analytic - numeric)).toBeLessThan(
      (row.tol ?? 1e-6) * Math.max(1, Math.abs(numeric)),
    );
  });
});
