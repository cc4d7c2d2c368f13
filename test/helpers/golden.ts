// Golden PyTorch fixtures (test/golden/*.json, written by test/oracle/make_golden.py): reading
// them, compiling their network through netspec, and running the compiled train step from the
// fixture's initial weights over its batches, in the fixture's float type.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import type { ConvLowering, DType } from '../../compiler/index.js';
import { compileRecipe, STANDARD_CONV } from '../../compiler/index.js';
import { readOnnx } from '../../compiler/onnx/read.js';
import { recipeOf, ROOT } from './spec.js';

export const GOLDEN_DIR = join(ROOT, 'test/golden');
export const GENERATOR = join(ROOT, 'test/oracle/make_golden.py');

export type Values = Record<string, number[]>;

export interface GoldenBatch {
  shape: number[];
  x: number[];
  labels: number[];
}

export interface GoldenRun {
  name: string;
  /** netspec's optimizer call and train-block settings (e.g. `clip = grad_norm(0.3)`). */
  optimizer: string;
  settings: string;
  torch: { name: string; args: Record<string, unknown>; clip?: Record<string, unknown> };
  losses: number[];
  /** Global gradient norm of each step before clipping. */
  grad_norms: number[];
  params: Values;
  buffers: Values;
}

export interface Golden {
  _generated: { by: string; torch: string; note: string };
  description: string;
  network: string;
  input: number[];
  classes: number;
  dtype: 'float32' | 'float64';
  initial: Record<string, { shape: number[]; values: number[] }>;
  batches: GoldenBatch[];
  gradients?: { loss: number; grads: Values; buffers: Values };
  runs: GoldenRun[];
}

export function goldenFiles(dir = GOLDEN_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
}

export function readGolden(file: string, dir = GOLDEN_DIR): Golden {
  return JSON.parse(readFileSync(join(dir, file), 'utf8')) as Golden;
}

export function goldenSpec(golden: Golden, optimizer: string, settings = ''): string {
  return `
dataset D { train = idx("unused-images", "unused-labels") }
network Net {
  input x: [${golden.input.join(', ')}]
  x -> ${golden.network}
}
train T {
  model = Net()
  data = D, batch: ${golden.batches[0].shape[0]}
  loss = cross_entropy
  optimizer = ${optimizer}
  epochs = 1
  ${settings}
}`;
}

const typed = (dtype: DType, values: ArrayLike<number>) =>
  dtype === 'float64' ? Float64Array.from(values) : Float32Array.from(values);

export interface GoldenSteps {
  /** Every output of every step. */
  outputs: Record<string, ort.Tensor>[];
  /** Parameter and buffer values after the last step, by state_dict name. */
  final: Map<string, ArrayLike<number>>;
  /** The names the compiled train step feeds (parameters and buffers). */
  names: string[];
  /** How many of the train step's convolutions run on the blocked CPU kernel. */
  blockedConvs: number;
}

/**
 * Compiles `golden`'s network with `optimizer` and `settings`, feeds the fixture's initial
 * parameters and buffers (optimizer state at zero) and runs one train step per batch, each
 * step's `.next` outputs fed to the next. `gradients` adds `<param>.grad` outputs.
 */
export async function runGolden(
  golden: Golden,
  optimizer: string,
  settings: string,
  batches: GoldenBatch[],
  gradients = false,
  conv: ConvLowering = STANDARD_CONV,
): Promise<GoldenSteps> {
  const recipe = recipeOf(goldenSpec(golden, optimizer, settings));
  const dtype = golden.dtype;
  const compiled = compileRecipe(recipe, { floatType: dtype, gradients, conv });
  const blockedConvs = readOnnx(compiled.train).nodes.filter(
    (n) => n.domain === 'com.microsoft.nchwc' && n.op === 'Conv',
  ).length;
  const session = await ort.InferenceSession.create(compiled.train, { intraOpNumThreads: 1 });
  const state: Record<string, ort.Tensor> = {};
  const names: string[] = [];
  for (const input of compiled.manifest.graphs.train.inputs) {
    const dims = input.shape as number[];
    const { role } = input;
    if (role.kind === 'param' || role.kind === 'buffer') {
      const name = role.kind === 'param' ? role.param : role.buffer;
      const initial = golden.initial[name];
      if (!initial) throw new Error(`the fixture has no initial value for '${name}'`);
      names.push(name);
      state[input.name] = new ort.Tensor(dtype, typed(dtype, initial.values), dims);
    }
    if (role.kind === 'state') {
      const size = dims.reduce((a, b) => a * b, 1);
      state[input.name] = new ort.Tensor(
        dtype,
        typed(dtype, new Array<number>(size).fill(0)),
        dims,
      );
    }
  }
  const outputs: Record<string, ort.Tensor>[] = [];
  for (const [step, batch] of batches.entries()) {
    const out = await session.run({
      ...state,
      [recipe.model.input.name]: new ort.Tensor(dtype, typed(dtype, batch.x), batch.shape),
      labels: new ort.Tensor('int64', BigInt64Array.from(batch.labels.map(BigInt)), [
        batch.labels.length,
      ]),
      lr: new ort.Tensor(dtype, typed(dtype, [compiled.manifest.learningRate]), []),
      step: new ort.Tensor('int64', BigInt64Array.of(BigInt(step)), []),
    });
    outputs.push(out);
    for (const name of Object.keys(state)) state[name] = out[`${name}.next`];
  }
  const final = new Map(names.map((n) => [n, state[n].data as Float32Array | Float64Array]));
  return { outputs, final, names, blockedConvs };
}

/** ‖actual − expected‖ / ‖expected‖ (L2): how far a whole output is from PyTorch's. */
export function relativeL2(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) {
    throw new Error(`${actual.length} values where ${expected.length} were expected`);
  }
  let num = 0;
  let den = 0;
  for (let i = 0; i < expected.length; i++) {
    num += (actual[i] - expected[i]) ** 2;
    den += expected[i] ** 2;
  }
  return Math.sqrt(num / den);
}

/**
 * max |actual − expected| over a tensor, and that divided by the tensor's scale: the largest
 * |expected|, or `floor` where that is smaller (a gradient that is exactly zero in PyTorch).
 */
export function relativeError(actual: ArrayLike<number>, expected: number[], floor = 0) {
  if (actual.length !== expected.length) {
    throw new Error(`${actual.length} values where ${expected.length} were expected`);
  }
  let worst = 0;
  let scale = floor;
  expected.forEach((e, i) => {
    worst = Math.max(worst, Math.abs(actual[i] - e));
    scale = Math.max(scale, Math.abs(e));
  });
  return { worst, relative: scale > 0 ? worst / scale : worst, scale };
}
