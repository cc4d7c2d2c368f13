// Dropout's masks: the right rate, inverted scaling, reproducible for the same seed and step,
// different across steps, layers and seeds, shared across the batch with per: "batch", absent
// in eval, and the gradient flows through kept elements only.
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../compiler/index.js';
import { BATCH, networkOf, probe } from './layers-probe.js';

const FEATURES = 400;

async function dropout(
  layer: string,
  options: { mode?: 'train' | 'eval'; seed?: number; steps?: number[] } = {},
) {
  const model = networkOf(layer, [FEATURES]);
  const { session } = await probe(model, options.mode ?? 'train', 'float32', options.seed ?? 1);
  const rng = new Rng(5, 'dropout-input');
  const x = Float32Array.from({ length: BATCH * FEATURES }, () => rng.normal() + 3);
  const v = Float32Array.from({ length: BATCH * FEATURES }, () => rng.normal());
  const runs = [];
  for (const step of options.steps ?? [0]) {
    const out = await session.run({
      x: new ort.Tensor('float32', x, [BATCH, FEATURES]),
      v: new ort.Tensor('float32', v, [BATCH, FEATURES]),
      step: new ort.Tensor('int64', BigInt64Array.of(BigInt(step)), []),
    });
    runs.push({ y: out.y.data as Float32Array, dx: out['x.grad'].data as Float32Array });
  }
  const kept = (y: Float32Array) => Array.from(y, (value) => (value !== 0 ? 1 : 0));
  return { x, v, runs, kept };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const agreement = (a: number[], b: number[]) => mean(a.map((k, i) => (k === b[i] ? 1 : 0)));

describe('Dropout', () => {
  it('drops a fraction p and scales the rest by 1/(1−p), as torch', async () => {
    const { x, runs, kept } = await dropout('Dropout(0.3)');
    const mask = kept(runs[0].y);
    expect(Math.abs(mean(mask) - 0.7)).toBeLessThan(0.02);
    runs[0].y.forEach((y, i) => {
      if (mask[i]) expect(y).toBeCloseTo(x[i] / 0.7, 5);
    });
  });

  it('passes the gradient through kept elements only, scaled', async () => {
    const { v, runs, kept } = await dropout('Dropout(0.3)');
    const mask = kept(runs[0].y);
    runs[0].dx.forEach((g, i) => expect(g).toBeCloseTo(mask[i] ? v[i] / 0.7 : 0, 5));
  });

  it('is reproducible for the same seed and step, and differs across steps and seeds', async () => {
    const first = await dropout('Dropout(0.5)', { steps: [3, 4, 3] });
    const again = await dropout('Dropout(0.5)', { steps: [3] });
    const otherSeed = await dropout('Dropout(0.5)', { seed: 2, steps: [3] });
    const [a, b, c] = first.runs.map((r) => first.kept(r.y));
    expect(c).toEqual(a);
    expect(first.kept(again.runs[0].y)).toEqual(a);
    // Independent masks at p = 0.5 agree on about half the elements.
    expect(Math.abs(agreement(a, b) - 0.5)).toBeLessThan(0.03);
    expect(Math.abs(agreement(a, first.kept(otherSeed.runs[0].y)) - 0.5)).toBeLessThan(0.03);
  });

  it('gives neighbouring elements and consecutive layers independent masks', async () => {
    const one = await dropout('Dropout(0.5)', { steps: [0] });
    const two = await dropout('Dropout(0.5) -> Dropout(0.0) -> Dropout(0.5)', { steps: [0] });
    const a = one.kept(one.runs[0].y);
    const neighbours = agreement(a.slice(1), a.slice(0, -1));
    expect(Math.abs(neighbours - 0.5)).toBeLessThan(0.03);
    // If the two layers' masks are independent, an element survives both with probability 0.5².
    expect(Math.abs(mean(two.kept(two.runs[0].y)) - 0.25)).toBeLessThan(0.03);
  });

  it('per: "batch" shares one mask across the examples; per example they differ', async () => {
    for (const [layer, shared] of [
      ['Dropout(0.5, per: "batch")', true],
      ['Dropout(0.5)', false],
    ] as const) {
      const { runs, kept } = await dropout(layer);
      const mask = kept(runs[0].y);
      const rows = Array.from({ length: BATCH }, (_, n) =>
        mask.slice(n * FEATURES, (n + 1) * FEATURES),
      );
      if (shared) rows.forEach((row) => expect(row).toEqual(rows[0]));
      else expect(Math.abs(agreement(rows[0], rows[1]) - 0.5)).toBeLessThan(0.1);
    }
  });

  it('is the identity in eval mode', async () => {
    const { x, runs } = await dropout('Dropout(0.5)', { mode: 'eval' });
    expect(Array.from(runs[0].y)).toEqual(Array.from(x));
  });
});
