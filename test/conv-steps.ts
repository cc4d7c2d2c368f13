// Shared by the convolution tests: a network written once as torch.nn layers becomes both a
// netspec spec and the PyTorch oracle's model; the compiled train step runs on onnxruntime.
import ort from 'onnxruntime-node';
import { compileRecipe, initialParameters, Rng } from '../compiler/index.js';
import type { CompiledRecipe, Recipe } from '../compiler/index.js';
import { python, recipeOf, ROOT } from './helpers/spec.js';

type Arg = number | boolean | string | number[];
/** [torch.nn class, positional arguments, keyword arguments] — the same in both worlds. */
export type TorchLayer = [string, Arg[], Record<string, Arg>];

export interface Batch {
  x: number[];
  shape: number[];
  labels: number[];
}

const literal = (a: Arg) =>
  Array.isArray(a) ? `[${a.join(', ')}]` : typeof a === 'string' ? `"${a}"` : String(a);

function call([kind, args, kwargs]: TorchLayer): string {
  const all = [
    ...args.map(literal),
    ...Object.entries(kwargs).map(([k, v]) => `${k}: ${literal(v)}`),
  ];
  return all.length ? `${kind}(${all.join(', ')})` : kind;
}

export function cnnSpec(input: number[], layers: TorchLayer[], optimizer: string): string {
  return `
dataset D { train = idx("unused-images", "unused-labels") }
network Net {
  input x: [${input.join(', ')}]
  x -> ${layers.map(call).join(' -> ')}
}
train T {
  model = Net()
  data = D, batch: 8
  loss = cross_entropy
  optimizer = ${optimizer}
  epochs = 1
}`;
}

export function randomBatches(input: number[], classes: number, sizes: number[], seed = 11) {
  const rng = new Rng(seed, 'conv-batches');
  const per = input.reduce((a, b) => a * b, 1);
  return sizes.map((n) => ({
    x: Array.from({ length: n * per }, () => rng.normal()),
    shape: [n, ...input],
    labels: Array.from({ length: n }, () => rng.below(classes)),
  }));
}

/** Runs the compiled train step over `batches`, feeding each step's outputs to the next. */
export async function runSteps(recipe: Recipe, compiled: CompiledRecipe, batches: Batch[]) {
  const session = await ort.InferenceSession.create(compiled.train, { intraOpNumThreads: 1 });
  const initial = initialParameters(recipe.model, 5);
  const state: Record<string, ort.Tensor> = {};
  for (const input of compiled.manifest.graphs.train.inputs) {
    const dims = input.shape as number[];
    const size = dims.reduce((a, b) => a * b, 1);
    if (input.role.kind === 'param')
      state[input.name] = new ort.Tensor('float32', initial.get(input.name)!, dims);
    if (input.role.kind === 'state')
      state[input.name] = new ort.Tensor('float32', new Float32Array(size), dims);
  }
  const losses: number[] = [];
  const outputs: Record<string, ort.Tensor>[] = [];
  for (const [step, batch] of batches.entries()) {
    const out = await session.run({
      ...state,
      x: new ort.Tensor('float32', Float32Array.from(batch.x), batch.shape),
      labels: new ort.Tensor('int64', BigInt64Array.from(batch.labels.map(BigInt)), [
        batch.labels.length,
      ]),
      lr: new ort.Tensor('float32', Float32Array.of(compiled.manifest.learningRate), []),
      step: new ort.Tensor('int64', BigInt64Array.of(BigInt(step)), []),
    });
    losses.push((out.loss.data as Float32Array)[0]);
    outputs.push(out);
    for (const name of Object.keys(state)) state[name] = out[`${name}.next`];
  }
  const names = compiled.manifest.parameters.map((p) => p.name);
  const params = names.map((name) => Array.from(state[name].data as Float32Array));
  return { names, initial: names.map((n) => Array.from(initial.get(n)!)), losses, params, outputs };
}

export function compileCnn(
  input: number[],
  layers: TorchLayer[],
  optimizer: string,
  gradients = false,
) {
  const recipe = recipeOf(cnnSpec(input, layers, optimizer));
  return { recipe, compiled: compileRecipe(recipe, { gradients }) };
}

export function torchOracle<T>(request: Record<string, unknown>): T {
  const result = python(
    `${ROOT}/test/oracle/conv_oracle.py`,
    [],
    Buffer.from(JSON.stringify(request)),
  );
  if (result.status !== 0) throw new Error(result.stderr);
  return JSON.parse(result.stdout) as T;
}
