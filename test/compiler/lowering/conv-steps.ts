// Shared by the convolution tests: a network written once as torch.nn layers becomes both a
// netspec spec and the PyTorch oracle's model; the compiled train step runs on onnxruntime.
import { compileRecipe, Rng } from '../../../compiler/index.js';
import type { CompiledRecipe, Recipe } from '../../../compiler/index.js';
import { python, recipeOf, ROOT } from '../../helpers/spec.js';
import { runTrainSteps } from '../../helpers/steps.js';

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
  const run = await runTrainSteps(recipe, compiled, batches);
  const names = compiled.manifest.parameters.map((p) => p.name);
  const params = names.map((name) => run.values(name));
  const initial = names.map((n) => Array.from(run.initial.get(n)!));
  return { names, initial, losses: run.scalars('loss'), params, outputs: run.outputs };
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
