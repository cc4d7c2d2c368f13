// Gradient rules against finite differences: each row of gradient-rows.ts is compiled to a
// float64 graph (float32 where onnxruntime has no float64 kernel) computing L = Σ v·op(x) for a
// random direction v; its backward pass gives ∂L/∂x, which must match the central finite
// difference of L along a random input direction u (check_vjp).
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { backward } from '../../../compiler/autodiff/backward.js';
import { GraphBuilder } from '../../../compiler/ir/builder.js';
import type { Shape } from '../../../compiler/ir/graph.js';
import { serializeModel } from '../../../compiler/onnx/serialize.js';
import { Rng } from '../../../compiler/index.js';
import { onnx } from '../../../compiler/ops/index.js';
import type { Domain, Row } from './gradient-rows.js';
import { ROWS } from './gradient-rows.js';

const BATCH = 2;
const dims = (shape: Shape) => shape.map((d) => (d === 'N' ? BATCH : d));
const size = (shape: Shape) => dims(shape).reduce((n, d) => n * d, 1);

function sample(rng: Rng, domain: Domain = 'real'): number {
  const z = rng.normal();
  if (domain === 'positive') return Math.abs(z) + 0.5;
  if (domain === 'away') return Math.sign(z || 1) * (Math.abs(z) + 0.3);
  if (domain === 'wide') return 4 * z;
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
    b.op(onnx.Mul, [y, v]),
    b.info(y).shape.map((_, i) => i),
    false,
  );
  const grads = backward(b, loss, xs);
  b.output(b.op(onnx.Identity, [loss], {}, 'loss'));
  xs.forEach((x, k) => b.output(b.op(onnx.Identity, [grads.get(x)!], {}, `g${k}`)));
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
