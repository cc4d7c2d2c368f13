// netspec against committed PyTorch fixtures (test/golden/, written by
// test/oracle/make_golden.py; no Python runs here except to check that the fixtures are current):
// a CNN (conv, batch norm in train mode, max pool, dropout p = 0, linear) and an MLP through
// every activation give PyTorch autograd's loss, every parameter gradient and the batch-norm
// buffers from the same weights and batch; every optimizer with weight decay, with and without
// gradient clipping, gives torch.optim's parameters after ten steps.
//
// Errors are per tensor: max |netspec − torch| divided by the tensor's largest |torch| value.
// PyTorch computed every expected value in float64. float64 fixtures run netspec's float64
// graph and must agree to 1e-11 (the two sides differ only in the order of float64 roundings;
// measured ≈ 1e-15). float32 fixtures run the float32 graph (onnxruntime's CPU provider has no
// float64 Conv or Erf) from float32-exact weights and inputs, so the error is netspec's float32
// rounding alone: gradients within 1e-4 (measured ≤ 5e-7), the CNN's parameters after ten SGD
// steps within 1e-5 (measured ≈ 2e-7). A gradient that is exactly zero in PyTorch (a conv
// bias feeding batch norm) has no scale of its own: it must stay below 1e-6 of the network's
// largest gradient (float32 cancellation noise; measured ≈ 6e-8).
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ConvLowering } from '../../../compiler/index.js';
import { STANDARD_CONV } from '../../../compiler/index.js';
import type { Golden, GoldenRun, GoldenSteps } from '../../helpers/golden.js';
import {
  GENERATOR,
  GOLDEN_DIR,
  goldenFiles,
  readGolden,
  relativeError,
  runGolden,
} from '../../helpers/golden.js';
import { expectedConvBlock } from '../../helpers/machine.js';
import { PYTHON, python, tempDir } from '../../helpers/spec.js';

const TOLERANCE = {
  float32: { loss: 1e-5, gradient: 1e-4, params: 1e-5 },
  float64: { loss: 1e-12, gradient: 1e-11, params: 1e-11 },
};

const FIXTURES = goldenFiles().map((file) => [file, readGolden(file)] as const);
const WITH_GRADIENTS = FIXTURES.filter(([, golden]) => golden.gradients);
const RUNS = FIXTURES.flatMap(([file, golden]) =>
  golden.runs.map((run) => [`${file}: ${run.name}`, golden, run] as [string, Golden, GoldenRun]),
);

function expectClose(
  what: string,
  actual: ArrayLike<number>,
  expected: number[],
  tolerance: number,
  floor = 0,
) {
  const { worst, relative } = relativeError(actual, expected, floor);
  expect(
    relative,
    `${what}: max |netspec − torch| = ${worst.toExponential(3)}, relative ${relative.toExponential(3)} > ${tolerance}`,
  ).toBeLessThanOrEqual(tolerance);
}

describe('golden fixtures are what the tests expect', () => {
  it('cover the CNN, every activation and every optimizer, in under 400 KB', () => {
    expect(FIXTURES.map(([file]) => file)).toEqual([
      'cnn.json',
      'mlp-activations-f64.json',
      'mlp-activations.json',
      'optimizers.json',
    ]);
    const bytes = FIXTURES.reduce((n, [file]) => n + statSync(join(GOLDEN_DIR, file)).size, 0);
    expect(bytes).toBeLessThan(400_000);
    for (const [file, golden] of FIXTURES) {
      expect(golden._generated.by, file).toBe('python3 test/oracle/make_golden.py');
      expect(golden._generated.torch, file).toMatch(/^\d+\.\d+/);
    }
    const optimizers = readGolden('optimizers.json').runs.map((r) => r.optimizer);
    for (const rule of [
      'SGD(',
      'momentum: 0.9',
      'nesterov: true',
      'Adagrad',
      'RMSprop',
      'Adam(',
      'AdamW',
    ])
      expect(
        optimizers.some((o) => o.includes(rule)),
        rule,
      ).toBe(true);
    expect(optimizers.some((o) => o.includes('centered: true'))).toBe(true);
    expect(optimizers.every((o) => o.includes('weight_decay'))).toBe(true);
    const network = readGolden('mlp-activations.json').network;
    for (const layer of [
      'Sigmoid',
      'Tanh',
      'Softplus',
      'ReLU',
      'LeakyReLU',
      'ELU',
      'Swish',
      'SiLU',
      'GELU',
    ])
      expect(network, layer).toContain(` ${layer}`);
  });
});

function goldenSuites(conv: ConvLowering, fixtures: (file: string, golden: Golden) => boolean) {
  const on = conv.block ? ` on the blocked CPU convolution kernel (block ${conv.block})` : '';
  const withGradients = WITH_GRADIENTS.filter(([file, golden]) => fixtures(file, golden));
  const runs = RUNS.filter(([what, golden]) => fixtures(what.split(':')[0], golden));

  describe(`loss and every parameter gradient match PyTorch autograd${on}`, () => {
    it.each(withGradients)('%s', async (file, golden) => {
      const expected = golden.gradients!;
      const run = await runGolden(golden, 'SGD(lr: 0.1)', '', [golden.batches[0]], true, conv);
      expectBlocked(run, conv);
      const tolerance = TOLERANCE[golden.dtype];
      // Same state_dict names on both sides, nothing left over.
      expect([...run.names].sort()).toEqual(Object.keys(golden.initial).sort());
      const out = run.outputs[0];
      const gradNames = Object.keys(out)
        .filter((o) => o.endsWith('.grad'))
        .map((o) => o.slice(0, -'.grad'.length));
      expect(gradNames.sort()).toEqual(Object.keys(expected.grads).sort());

      const loss = (out.loss.data as Float32Array | Float64Array)[0];
      expectClose(`${file}: loss`, [loss], [expected.loss], tolerance.loss);
      const largest = Math.max(...Object.values(expected.grads).flat().map(Math.abs));
      for (const [name, grad] of Object.entries(expected.grads)) {
        const actual = out[`${name}.grad`].data as Float32Array | Float64Array;
        const what = `${file}: ∂loss/∂${name}`;
        if (Math.max(...grad.map(Math.abs)) > 1e-12 * largest) {
          expectClose(what, actual, grad, tolerance.gradient);
        } else {
          // Exactly zero in PyTorch: netspec's may differ by rounding noise, measured against
          // the network's largest gradient.
          expectClose(`${what} (zero)`, actual, grad, tolerance.gradient / 100, largest);
        }
      }
      for (const [name, values] of Object.entries(expected.buffers)) {
        const actual = out[`${name}.next`].data as Float32Array | Float64Array;
        expectClose(`${file}: ${name} after the step`, actual, values, tolerance.gradient);
      }
    });
  });

  describe(`ten optimizer steps match torch.optim${on}`, () => {
    it.each(runs)('%s', async (what, golden, expected) => {
      const tolerance = TOLERANCE[golden.dtype];
      const run = await runGolden(
        golden,
        expected.optimizer,
        expected.settings,
        golden.batches,
        false,
        conv,
      );
      expectBlocked(run, conv);
      const scalars = (name: string) =>
        run.outputs.map((o) => (o[name].data as Float32Array | Float64Array)[0]);
      scalars('loss').forEach((loss, k) =>
        expectClose(`${what}: loss of step ${k}`, [loss], [expected.losses[k]], tolerance.loss),
      );
      const norms = scalars('grad_norm');
      norms.forEach((norm, k) =>
        expectClose(
          `${what}: gradient norm of step ${k}`,
          [norm],
          [expected.grad_norms[k]],
          tolerance.gradient,
        ),
      );
      const clip = expected.torch.clip;
      if (clip?.kind === 'grad_norm') {
        // Clipping acted on every step.
        expect(Math.min(...norms)).toBeGreaterThan(clip.max_norm as number);
      }
      for (const [name, values] of Object.entries(expected.params)) {
        expectClose(`${what}: ${name}`, run.final.get(name)!, values, tolerance.params);
        // Training moved every parameter far beyond the tolerance.
        const moved = relativeError(run.final.get(name)!, golden.initial[name].values).relative;
        expect(moved, `${what}: ${name} moved`).toBeGreaterThan(100 * tolerance.params);
      }
      for (const [name, values] of Object.entries(expected.buffers)) {
        expectClose(`${what}: ${name}`, run.final.get(name)!, values, tolerance.params);
      }
    });
  });
}

/** The blocked lowering's runs hold blocked convolutions, the standard ones none. */
function expectBlocked(run: GoldenSteps, conv: ConvLowering) {
  if (conv.block) expect(run.blockedConvs).toBeGreaterThan(0);
  else expect(run.blockedConvs).toBe(0);
}

goldenSuites(STANDARD_CONV, () => true);
// The CNN fixture's convolutions on the kernel the CPU lowering uses, where this CPU has it.
const blocked = { block: expectedConvBlock() };
if (blocked.block > 0) goldenSuites(blocked, (_, golden) => golden.network.includes('Conv2d'));

/** Paths where two fixtures differ: numbers beyond float64 noise, anything else at all. */
function differences(committed: unknown, fresh: unknown, path = ''): string[] {
  if (path === '._generated.torch') return [];
  if (typeof committed === 'number' && typeof fresh === 'number') {
    const close = Math.abs(committed - fresh) <= 1e-12 + 1e-9 * Math.abs(committed);
    return close ? [] : [`${path}: ${committed} committed, ${fresh} regenerated`];
  }
  if (Array.isArray(committed) && Array.isArray(fresh)) {
    if (committed.length !== fresh.length)
      return [`${path}: length ${committed.length} → ${fresh.length}`];
    return committed.flatMap((c, i) => differences(c, fresh[i], `${path}[${i}]`));
  }
  if (committed && fresh && typeof committed === 'object' && typeof fresh === 'object') {
    const a = committed as Record<string, unknown>;
    const b = fresh as Record<string, unknown>;
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    return keys.flatMap((k) => differences(a[k], b[k], `${path}.${k}`));
  }
  return committed === fresh ? [] : [`${path}: ${String(committed)} → ${String(fresh)}`];
}

describe('the committed fixtures are current', () => {
  const torch = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;

  it('make_golden.py regenerates them', (ctx) => {
    if (!torch) {
      ctx.skip(`${PYTHON} cannot import torch (python3-torch): the fixtures cannot be regenerated`);
    }
    const dir = tempDir('netspec-golden-');
    const result = python(GENERATOR, ['--out', dir]);
    expect(result.status, result.stderr).toBe(0);
    expect(goldenFiles(dir)).toEqual(goldenFiles());
    for (const file of goldenFiles()) {
      const diffs = differences(readGolden(file), readGolden(file, dir));
      expect(
        diffs.slice(0, 5),
        `test/golden/${file} is stale (${diffs.length} differences): run python3 test/oracle/make_golden.py`,
      ).toEqual([]);
    }
  });
});
