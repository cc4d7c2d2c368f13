// The compiler's public entry point: everything outside compiler/ uses only what is exported
// here (the runtime, the CLI, the benchmarks and the language server).
import type { Diagnostic } from '../grammar/index.js';
import { numberArg } from './check/args.js';
import { checkFiles } from './check/index.js';
import type { ReadFile } from './check/program.js';
import { loadProgram } from './check/program.js';
import type { CheckedSpec, Model, Recipe } from './check/model.js';
import { buildEvalStep, buildInference, buildTrainStep } from './lower/steps.js';
import type { BuiltGraph, StepOptions } from './lower/steps.js';
import { buildStepsLoop } from './lower/steps-loop.js';
import type { GraphEntry, Manifest } from './lower/manifest.js';
import { buildProbe } from './lower/probe.js';
import type { ProbeManifest } from './lower/probe.js';
import {
  bufferShapes,
  initialParameters,
  parameterNames,
  parameterShapes,
  trainableShapes,
} from './init.js';
import { GraphBuilder } from './ir/builder.js';
import { readOnnx } from './onnx/read.js';
import { OPSET, serializeModel } from './onnx/serialize.js';

export type { Diagnostic, Span, Position } from '../grammar/index.js';
export type {
  CheckedSpec,
  DatasetSpec,
  DataFile,
  IdxSource,
  CsvSource,
  ImagesSource,
  DataSource,
  SplitSource,
  TransformSpec,
  TransformStep,
  Model,
  Recipe,
} from './check/model.js';
export type { Manifest, GraphEntry, TensorEntry, Role } from './lower/manifest.js';
export { carriedKey } from './lower/manifest.js';
export type { DType, Shape } from './ir/graph.js';
export { CODES } from './codes.js';
export type { ReadFile, Unreadable } from './check/program.js';
export type { ReadBinary } from './check/onnx-network.js';
import type { ReadBinary } from './check/onnx-network.js';
export { Rng } from './random.js';
export { TRANSFORMS } from './transforms.js';
export type { TransformDef } from './transforms.js';
export { SOURCES } from './check/dataset.js';
export { LOSSES } from './losses.js';
export type { LossDef } from './losses.js';
export { OPTIMIZERS } from './optim/registry.js';
export type { OptimizerDef } from './optim/optimizer.js';
export { bufferShapes, initialParameters, parameterNames, parameterShapes };
// Initialization schemes (`init =`) and LSUV's runtime half: the layers to visit and the rescale.
export { INITIALIZERS, fans, lsuvScale } from './initializers.js';
export type { InitChoice, InitializerDef } from './initializers.js';
export { lsuvLayers } from './init.js';
export { forwardFlops } from './flops.js';
export type { ProbeLayer, ProbeManifest } from './lower/probe.js';
export type { Regularization } from './check/regularization.js';
// Training stages (`unfreeze … after N epochs`): the runtime compiles each stage's recipe.
export { stageAt, stageRecipe } from './check/stages.js';
export type { UnfreezeStage } from './check/stages.js';
export { diagnostic, hasErrors } from '../grammar/index.js';
// For the language server: completion and hover read the same registry as the checker.
export { LAYERS } from './layers/registry.js';
export type { LayerDef, ParamSpec } from './layers/layer.js';
export type { LayerInstance, MergeInstance, ModelNode } from './check/model.js';
export type { ArgSpec } from './check/args.js';

export interface CheckResult {
  spec: CheckedSpec;
  diagnostics: Diagnostic[];
  /** The text of the spec and of every file it imports, by file name. */
  sources: Map<string, string>;
}

/**
 * Parses and checks a spec's text and the files it imports (read with `readFile`; without it,
 * an import is an error). Never throws on user mistakes: they are diagnostics.
 */
export function checkSpec(
  text: string,
  file: string,
  readFile?: ReadFile,
  readBinary?: ReadBinary,
): CheckResult {
  const program = loadProgram(text, file, readFile);
  const checked = checkFiles(program.files, readBinary);
  const files = [...program.sources.keys()];
  const diagnostics = [...program.diagnostics, ...checked.diagnostics].sort(
    (a, b) =>
      files.indexOf(a.file) - files.indexOf(b.file) || a.span.start.offset - b.span.start.offset,
  );
  return { spec: checked.spec, diagnostics, sources: program.sources };
}

export interface CompiledRecipe {
  manifest: Manifest;
  /** ONNX bytes of the train and eval steps, and of the inference model with the initial weights. */
  train: Uint8Array;
  /** The train step run several times per onnxruntime run (lower/steps-loop.ts). */
  steps: Uint8Array;
  eval: Uint8Array;
  infer: Uint8Array;
}

function entry(file: string, built: BuiltGraph): GraphEntry {
  return { file, inputs: built.inputs, outputs: built.outputs };
}

export function compileRecipe(recipe: Recipe, options: StepOptions = {}): CompiledRecipe {
  const train = buildTrainStep(recipe, options);
  const loop = buildStepsLoop(train);
  const evaluation = buildEvalStep(recipe);
  const shapes = parameterShapes(recipe.model);
  // Buffers and frozen layers' parameters are saved and exported, but not trained.
  const trainable = trainableShapes(recipe.model);
  const inference = buildInference(
    recipe.model,
    initialParameters(recipe.model, recipe.seed, recipe.init),
  );
  const manifest: Manifest = {
    format: 'netspec-manifest',
    version: 1,
    recipe: recipe.name,
    opset: OPSET,
    parameters: [...shapes].map(([name, shape]) => ({
      name,
      shape,
      trainable: trainable.has(name),
    })),
    learningRate: numberArg(recipe.optimizer.args, 'lr'),
    optimizerSlots: recipe.optimizer.def.slots(recipe.optimizer.args),
    graphs: {
      train: entry(`${recipe.name}.train.onnx`, train),
      steps: entry(`${recipe.name}.steps.onnx`, loop),
      eval: entry(`${recipe.name}.eval.onnx`, evaluation),
      infer: entry(`${recipe.name}.infer.onnx`, inference),
    },
  };
  const doc = `netspec ${recipe.name} (${recipe.file})`;
  return {
    manifest,
    train: serializeModel(train.graph, { docString: `${doc}: training step` }),
    steps: serializeModel(loop.graph, { docString: `${doc}: training steps, several per run` }),
    eval: serializeModel(evaluation.graph, { docString: `${doc}: evaluation step` }),
    infer: serializeModel(inference.graph, { docString: `${doc}: inference (initial weights)` }),
  };
}

/**
 * The inference model with the given weights inside: what `netspec export` writes, at the
 * default opset or an older one (OpsetError when it is out of range or a node has no form there).
 */
export function compileInference(
  model: Model,
  weights: ReadonlyMap<string, Float32Array>,
  metadata: Record<string, string> = {},
  opset?: number,
): Uint8Array {
  const built = buildInference(model, weights);
  return serializeModel(built.graph, {
    docString: `netspec ${model.name}: inference`,
    metadata,
    opset,
  });
}
export { MAX_OPSET, MIN_OPSET, OpsetError } from './onnx/opset.js';

export interface CompiledProbe {
  manifest: ProbeManifest;
  /** ONNX bytes of the probe: each LSUV layer's output for a batch, weights as inputs. */
  onnx: Uint8Array;
}

/** LSUV's probe graph: the output of every layer `lsuvLayers` lists, in eval mode. */
export function compileProbe(recipe: Recipe): CompiledProbe {
  const built = buildProbe(recipe);
  const doc = `netspec ${recipe.name} (${recipe.file}): LSUV probe`;
  return { manifest: built.manifest, onnx: serializeModel(built.graph, { docString: doc }) };
}

/** One n×n·n×n float32 MatMul: the benchmark of the machine's matrix-multiply ceiling. */
export function matmulModel(n: number): Uint8Array {
  const b = new GraphBuilder('matmul');
  const a = b.input('a', 'float32', [n, n]);
  const c = b.input('b', 'float32', [n, n]);
  b.output(b.op('MatMul', [a, c], {}, 'c'));
  return serializeModel(b.graph);
}

export { OnnxReadError } from './onnx/read.js';

/**
 * The fixed [C, H, W] input size of an ONNX model, or undefined when any of them is dynamic.
 * Throws an OnnxReadError when the bytes are not a valid ONNX model.
 */
export function onnxInputDims(bytes: Uint8Array): number[] | undefined {
  const [input] = readOnnx(bytes).inputs;
  const dims = input?.dims.slice(1);
  return dims && dims.every((d) => typeof d === 'number' && d > 0) ? (dims as number[]) : undefined;
}

export { registryReference, showValue } from './docs.js';
export { SCHEDULES, withWarmup } from './schedules.js';
export type { Schedule, ScheduleContext } from './schedules.js';
export { stopReason, STOP_QUANTITIES } from './stopping.js';
export type { StopCondition } from './stopping.js';
export type { RunControl, EarlyStop } from './check/run-control.js';
