// Every new layer against PyTorch itself: forward output, input gradient and parameter
// gradients of Σ v·layer(x) on random inputs, in train mode for three steps (batch and
// instance norm's running statistics carried between them and compared after each) and then
// in eval mode, all within float32 rounding.
import type ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../compiler/index.js';
import { python, ROOT } from '../../helpers/spec.js';
import type { StateEntry } from '../lowering/layers-probe.js';
import { BATCH, networkOf, probe, stateOf } from '../lowering/layers-probe.js';
import ortRuntime from 'onnxruntime-node';

interface Case {
  /** The layer as a spec writes it, the input shape without the batch, the torch module. */
  layer: string;
  input: number[];
  torch: string;
  /** Train-mode steps to compare (0 where torch's randomness cannot be matched: dropout). */
  trainSteps?: number;
}

const CASES: Case[] = [
  { layer: 'Sigmoid', input: [7], torch: 'Sigmoid()' },
  { layer: 'Tanh', input: [7], torch: 'Tanh()' },
  { layer: 'Softplus', input: [7], torch: 'Softplus()' },
  { layer: 'Softplus(beta: 2, threshold: 1)', input: [7], torch: 'Softplus(beta=2, threshold=1)' },
  { layer: 'LeakyReLU(0.2)', input: [7], torch: 'LeakyReLU(0.2)' },
  { layer: 'ELU(alpha: 0.7)', input: [7], torch: 'ELU(alpha=0.7)' },
  { layer: 'SiLU', input: [7], torch: 'SiLU()' },
  { layer: 'Swish', input: [7], torch: 'SiLU()' },
  { layer: 'GELU', input: [7], torch: 'GELU()' },
  { layer: 'Hardsigmoid', input: [7], torch: 'Hardsigmoid()' },
  { layer: 'Hardswish', input: [7], torch: 'Hardswish()' },
  { layer: 'GELU(approximate: "tanh")', input: [7], torch: "GELU(approximate='tanh')" },
  { layer: 'Softmax(dim: 1)', input: [3, 4], torch: 'Softmax(dim=1)' },
  { layer: 'Softmax(-1)', input: [3, 4], torch: 'Softmax(dim=-1)' },
  { layer: 'LogSoftmax(dim: 2)', input: [3, 4], torch: 'LogSoftmax(dim=2)' },
  { layer: 'Identity', input: [5], torch: 'Identity()' },
  { layer: 'Dropout(0.3)', input: [5], torch: 'Dropout(0.3)', trainSteps: 0 },
  { layer: 'BatchNorm1d(4)', input: [4], torch: 'BatchNorm1d(4)' },
  { layer: 'BatchNorm1d(4, momentum: 0.3)', input: [4, 5], torch: 'BatchNorm1d(4, momentum=0.3)' },
  { layer: 'BatchNorm1d(4, affine: false)', input: [4], torch: 'BatchNorm1d(4, affine=False)' },
  {
    layer: 'BatchNorm1d(4, track_running_stats: false)',
    input: [4, 3],
    torch: 'BatchNorm1d(4, track_running_stats=False)',
  },
  { layer: 'BatchNorm2d(3, eps: 0.01)', input: [3, 4, 5], torch: 'BatchNorm2d(3, eps=0.01)' },
  { layer: 'LayerNorm(5)', input: [3, 5], torch: 'LayerNorm(5)' },
  { layer: 'LayerNorm([3, 5])', input: [3, 5], torch: 'LayerNorm([3, 5])' },
  {
    layer: 'LayerNorm(5, elementwise_affine: false)',
    input: [5],
    torch: 'LayerNorm(5, elementwise_affine=False)',
  },
  { layer: 'GroupNorm(2, 4)', input: [4, 3, 3], torch: 'GroupNorm(2, 4)' },
  {
    layer: 'GroupNorm(3, 3, affine: false)',
    input: [3, 5],
    torch: 'GroupNorm(3, 3, affine=False)',
  },
  { layer: 'InstanceNorm2d(3)', input: [3, 4, 4], torch: 'InstanceNorm2d(3)' },
  {
    layer: 'InstanceNorm2d(3, affine: true, track_running_stats: true)',
    input: [3, 4, 4],
    torch: 'InstanceNorm2d(3, affine=True, track_running_stats=True)',
  },
];

const size = (shape: number[]) => shape.reduce((n, d) => n * d, 1);
/** The torch attribute name: `batchnorm1d1.running_var` → `running_var`. */
const local = (name: string) => name.slice(name.indexOf('.') + 1);

function initialState(state: StateEntry[], rng: Rng): Map<string, Float32Array> {
  return new Map(
    state.map((s) => {
      const values = Float32Array.from({ length: size(s.shape) }, () => {
        if (s.name.endsWith('num_batches_tracked')) return 2;
        if (s.name.endsWith('running_var')) return Math.abs(rng.normal()) + 0.5;
        return rng.normal();
      });
      return [s.name, values];
    }),
  );
}

interface TorchRun {
  y: number[];
  x_grad: number[];
  grads: Record<string, number[]>;
  buffers: Record<string, number[]>;
}

function expectClose(actual: ArrayLike<number>, expected: number[], what: string) {
  expect(actual.length, what).toBe(expected.length);
  const scale = Math.max(1, ...expected.map(Math.abs));
  const worst = Math.max(0, ...expected.map((e, i) => Math.abs(actual[i] - e)));
  expect(worst, what).toBeLessThan(3e-5 * scale);
}

async function runCase(c: Case, rng: Rng) {
  const model = networkOf(c.layer, c.input);
  const state = stateOf(model);
  const values = initialState(state, rng);
  const xShape = [BATCH, ...c.input];
  const outShape = model.outputShape.map((d) => (d === 'N' ? BATCH : d));
  const modes = [...new Array<'train'>(c.trainSteps ?? 3).fill('train'), 'eval' as const];
  const runs = modes.map((mode) => ({
    mode,
    x: Array.from({ length: size(xShape) }, () => rng.normal() * 2 + 0.3),
    shape: xShape,
    v: Array.from({ length: size(outShape) }, () => rng.normal()),
  }));
  const torchInput = [
    {
      module: c.torch,
      state: Object.fromEntries([...values].map(([n, v]) => [local(n), Array.from(v)])),
      runs,
    },
  ];
  const sessions = { train: await probe(model, 'train'), eval: await probe(model, 'eval') };
  const ours: Record<string, ort.Tensor>[] = [];
  const current = new Map(values);
  for (const [k, run] of runs.entries()) {
    const feeds: Record<string, ort.Tensor> = {
      x: new ortRuntime.Tensor('float32', Float32Array.from(run.x), xShape),
      v: new ortRuntime.Tensor('float32', Float32Array.from(run.v), outShape),
      step: new ortRuntime.Tensor('int64', BigInt64Array.of(BigInt(k)), []),
    };
    for (const s of state)
      feeds[s.name] = new ortRuntime.Tensor('float32', current.get(s.name)!, s.shape);
    const out = await sessions[run.mode].session.run(feeds);
    for (const s of state.filter((s) => s.buffer && run.mode === 'train'))
      current.set(s.name, out[`${s.name}.next`].data as Float32Array);
    ours.push(out);
  }
  return { state, ours, current, torchInput };
}

describe('layers match PyTorch (forward, input and parameter gradients, buffers)', () => {
  it('every case', async () => {
    const rng = new Rng(17, 'layers-oracle');
    const results = [];
    for (const c of CASES) results.push({ c, ...(await runCase(c, rng)) });
    const torchIn = Buffer.from(JSON.stringify(results.flatMap((r) => r.torchInput)));
    const result = python(`${ROOT}/test/oracle/layers_oracle.py`, [], torchIn);
    expect(result.stderr).toBe('');
    const torch = JSON.parse(result.stdout) as TorchRun[][];
    results.forEach(({ c, state, ours }, i) => {
      ours.forEach((out, k) => {
        const ref = torch[i][k];
        const what = `${c.layer} run ${k}`;
        expectClose(out.y.data as Float32Array, ref.y, `${what}: output`);
        expectClose(out['x.grad'].data as Float32Array, ref.x_grad, `${what}: input gradient`);
        for (const s of state.filter((s) => !s.buffer)) {
          const g = out[`${s.name}.grad`].data as Float32Array;
          expectClose(g, ref.grads[local(s.name)], `${what}: ∂/∂${s.name}`);
        }
        if (k < (c.trainSteps ?? 3)) {
          for (const s of state.filter((s) => s.buffer)) {
            const next = out[`${s.name}.next`].data as Float32Array;
            expectClose(next, ref.buffers[local(s.name)], `${what}: ${s.name} after the step`);
          }
        }
      });
    });
  });
});
