// The compiler's public entry point: everything outside compiler/ uses only what is exported
// here (the runtime, the CLI, the benchmarks and the language server).
import type { Diagnostic } from '../grammar/index.js';
import { parse } from '../grammar/index.js';
import { numberArg } from './check/args.js';
import { checkSpecFile } from './check/index.js';
import type { CheckedSpec, Model, Recipe } from './check/model.js';
import { buildEvalStep, buildInference, buildTrainStep } from './build/steps.js';
import type { BuiltGraph, StepOptions } from './build/steps.js';
import type { GraphEntry, Manifest } from './build/manifest.js';
import { initialParameters, parameterNames, parameterShapes } from './init.js';
import { GraphBuilder } from './ir/builder.js';
import { OPSET, serializeModel } from './onnx/serialize.js';

export type { Diagnostic, Span, Position } from '../grammar/index.js';
export type {
  CheckedSpec,
  DatasetSpec,
  DataFile,
  IdxSource,
  Model,
  Recipe,
} from './check/model.js';
export type { Manifest, GraphEntry, TensorEntry, Role } from './build/manifest.js';
export type { DType, Shape } from './ir/graph.js';
export { CODES } from './codes.js';
export { Rng } from './random.js';
export { initialParameters, parameterNames, parameterShapes };
export { diagnostic, hasErrors } from '../grammar/index.js';

/** Parses and checks a spec's text. Never throws on user mistakes: they are diagnostics. */
export function checkSpec(
  text: string,
  file: string,
): { spec: CheckedSpec; diagnostics: Diagnostic[] } {
  const parsed = parse(text, file);
  const checked = checkSpecFile(parsed.ast);
  const diagnostics = [...parsed.diagnostics, ...checked.diagnostics];
  return { spec: checked.spec, diagnostics };
}

export interface CompiledRecipe {
  manifest: Manifest;
  /** ONNX bytes of the train and eval steps, and of the inference model with the initial weights. */
  train: Uint8Array;
  eval: Uint8Array;
  infer: Uint8Array;
}

function entry(file: string, built: BuiltGraph): GraphEntry {
  return { file, inputs: built.inputs, outputs: built.outputs };
}

export function compileRecipe(recipe: Recipe, options: StepOptions = {}): CompiledRecipe {
  const train = buildTrainStep(recipe, options);
  const evaluation = buildEvalStep(recipe);
  const shapes = parameterShapes(recipe.model);
  const inference = buildInference(recipe.model, initialParameters(recipe.model, recipe.seed));
  const manifest: Manifest = {
    format: 'netspec-manifest',
    version: 1,
    recipe: recipe.name,
    opset: OPSET,
    parameters: [...shapes].map(([name, shape]) => ({ name, shape, trainable: true })),
    learningRate: numberArg(recipe.optimizer.args, 'lr'),
    optimizerSlots: recipe.optimizer.def.slots(recipe.optimizer.args),
    graphs: {
      train: entry(`${recipe.name}.train.onnx`, train),
      eval: entry(`${recipe.name}.eval.onnx`, evaluation),
      infer: entry(`${recipe.name}.infer.onnx`, inference),
    },
  };
  const doc = `netspec ${recipe.name} (${recipe.file})`;
  return {
    manifest,
    train: serializeModel(train.graph, { docString: `${doc}: training step` }),
    eval: serializeModel(evaluation.graph, { docString: `${doc}: evaluation step` }),
    infer: serializeModel(inference.graph, { docString: `${doc}: inference (initial weights)` }),
  };
}

/** The inference model with the given weights inside: what `netspec export` writes. */
export function compileInference(
  model: Model,
  weights: ReadonlyMap<string, Float32Array>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const built = buildInference(model, weights);
  return serializeModel(built.graph, { docString: `netspec ${model.name}: inference`, metadata });
}

/** One n×n·n×n float32 MatMul: the benchmark of the machine's matrix-multiply ceiling. */
export function matmulModel(n: number): Uint8Array {
  const b = new GraphBuilder('matmul');
  const a = b.input('a', 'float32', [n, n]);
  const c = b.input('b', 'float32', [n, n]);
  b.output(b.op('MatMul', [a, c], {}, 'c'));
  return serializeModel(b.graph);
}
