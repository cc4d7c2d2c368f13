// The compiler's public entry point: everything outside compiler/ uses only what is exported
// here (the runtime, the CLI, the benchmarks and the language server).
import type { Diagnostic, SpecFile } from '../grammar/index.js';
import { checkFiles } from './check/index.js';
import { withSuggestionFix } from './check/names.js';
import type { ParseFile, ReadFile } from './check/program.js';
import { loadProgram } from './check/program.js';
import { buildEvalStep, buildGradientStep, buildInference, buildTrainStep } from './lower/steps.js';
import type { BuiltGraph, StepOptions } from './lower/steps.js';
export type { StepOptions as StepCompileOptions } from './lower/steps.js';
import { buildStepsLoop } from './lower/steps-loop.js';
import type { GraphEntry, Manifest } from './lower/manifest.js';
import { buildProbe } from './lower/probe.js';
import { lowerBlockedConvs } from './lower/blocked-conv.js';
export type { ConvLowering } from './lower/blocked-conv.js';
export { STANDARD as STANDARD_CONV } from './lower/blocked-conv.js';
export { BLOCK_SIZES } from './ops/nchwc.js';
import { placementWarnings } from './lower/placement.js';
import { graphMemory } from './lower/memory.js';
import type { StepMemory } from './lower/memory.js';
import type { Target } from './targets.js';
import { stepsInLoop } from './targets.js';
import type { ProbeManifest } from './lower/probe.js';
import {
  bufferShapes,
  initialParameters,
  parameterNames,
  parameterShapes,
  trainableShapes,
} from './init.js';
import { GraphBuilder } from './ir/builder.js';
import { printGraph } from './ir/print.js';
import { readOnnxInputs } from './onnx/read.js';
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
  Take,
  TransformSpec,
  TransformStep,
  Model,
  Recipe,
  SweepSpec,
  SweepTrial,
  InitChoice,
  Regularization,
  UnfreezeStage,
  StopCondition,
  RunControl,
  EarlyStop,
  LayerInstance,
  ModelNode,
} from './vocabulary/model.js';
export type {
  TransformDef,
  LossDef,
  OptimizerDef,
  InitializerDef,
  LayerDef,
  ParamSpec,
  Schedule,
  ScheduleContext,
  SourceDef,
} from './vocabulary/defs.js';
export type { ArgSpec } from './vocabulary/args.js';
export type { Manifest, GraphEntry, TensorEntry, Role } from './lower/manifest.js';
export { carriedKey } from './lower/manifest.js';
export type { DType, Shape } from './ir/graph.js';
import type { DType, Shape } from './ir/graph.js';
export type { StepMemory, ValueBytes } from './lower/memory.js';
export { bytesAt } from './lower/memory.js';
export type { Target } from './targets.js';
export { TARGETS, integerType } from './targets.js';
export { CODES } from './codes.js';
export type { ParseFile, ReadFile, Unreadable } from './check/program.js';
export type { ReadBinary } from './check/onnx-network.js';
import type { ReadBinary } from './check/onnx-network.js';
import { onnx } from './ops/index.js';
import { numberArg } from './vocabulary/args.js';
import type { CheckedSpec, Model, Recipe } from './vocabulary/model.js';
export { Rng } from './random.js';
export { TRANSFORMS } from './transforms.js';
export { SOURCES } from './check/dataset.js';
import type { TRANSFORMS } from './transforms.js';
import type { SOURCES } from './check/dataset.js';
import type { RegistryName } from './vocabulary/registry.js';
/** The names of the transforms and data sources, which the runtime implements one by one. */
export type TransformName = RegistryName<typeof TRANSFORMS>;
export type SourceName = RegistryName<typeof SOURCES>;
export { LOSSES } from './losses.js';
export { OPTIMIZERS } from './optim/registry.js';
export { bufferShapes, initialParameters, parameterNames, parameterShapes };
// Initialization schemes (`init =`) and LSUV's runtime half: the layers to visit and the rescale.
export { INITIALIZERS, fans, lsuvScale } from './initializers.js';
export { lsuvLayers } from './init.js';
export { forwardFlops, layerFlops } from './flops.js';
export type { ProbeLayer, ProbeManifest } from './lower/probe.js';
// Training stages (`unfreeze … after N epochs`): the runtime compiles each stage's recipe.
export { matches as moduleMatches, stageAt, stageRecipe } from './check/stages.js';
export { diagnostic, hasErrors } from '../grammar/index.js';
// For the language server: completion, hover and signature help read the checker's own tables.
export {
  CALLEES,
  calleeNamed,
  datasetSettingValue,
  DATASET_SETTING_WORDS,
  FREEZE_OPTIONS,
  groupCallee,
  REPLACE_OPTIONS,
  STOP_QUANTITY_WORDS,
  SURGERY_STATEMENTS,
  TRAIN_SETTING_WORDS,
  TRAIN_STATEMENTS,
  trainSettingValue,
} from './editor.js';
export type { Callee, SettingValue, Word } from './editor.js';
export { onnxModules } from './check/onnx-network.js';
export { LAYERS } from './layers/registry.js';
// For the language server: the keys a sweep can name.
export { sweepKeys } from './check/sweep-keys.js';

export interface CheckResult {
  spec: CheckedSpec;
  diagnostics: Diagnostic[];
  /** The text of the spec and of every file it imports, by file name. */
  sources: Map<string, string>;
  /** The syntax tree of the spec and of every file it imports, the spec first. */
  files: SpecFile[];
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
  parseFile?: ParseFile,
): CheckResult {
  const program = loadProgram(text, file, readFile, parseFile);
  const checked = checkFiles(program.files, readBinary);
  const files = [...program.sources.keys()];
  const diagnostics = [...program.diagnostics, ...checked.diagnostics]
    .sort(
      (a, b) =>
        files.indexOf(a.file) - files.indexOf(b.file) || a.span.start.offset - b.span.start.offset,
    )
    .map((d) => withSuggestionFix(d, program.sources.get(d.file)));
  return { spec: checked.spec, diagnostics, sources: program.sources, files: program.files };
}

export interface CompiledRecipe {
  manifest: Manifest;
  /** ONNX bytes of the train and eval steps, and of the inference model with the initial weights. */
  train: Uint8Array;
  /**
   * The train step run several times per onnxruntime run (lower/steps-loop.ts); absent for a
   * target without Loop (WebGPU), which runs one step per run with its state on the device.
   */
  steps?: Uint8Array;
  eval: Uint8Array;
  infer: Uint8Array;
  /** The device the graphs are for, and the pixel scale of uint8 image input, if any. */
  target: Target;
  pixelScale?: number;
  /** What the train step asks of a device's memory (an upper bound). */
  memory: StepMemory;
  /** Nodes that would run on the CPU instead of the target, one warning per spec construct. */
  warnings: Diagnostic[];
}

function entry(file: string, built: BuiltGraph): GraphEntry {
  return { file, inputs: built.inputs, outputs: built.outputs };
}

/** The four IR graphs of a recipe, before they are written as ONNX. */
export interface RecipeGraphs {
  train: BuiltGraph;
  steps?: BuiltGraph;
  eval: BuiltGraph;
  infer: BuiltGraph;
}

export type GraphKind = keyof RecipeGraphs;
export const GRAPH_KINDS: readonly GraphKind[] = ['train', 'steps', 'eval', 'infer'];

export function recipeGraphs(recipe: Recipe, options: StepOptions = {}): RecipeGraphs {
  const target = options.target ?? 'cpu';
  const train = buildTrainStep(recipe, options);
  const initial = initialParameters(recipe.model, recipe.seed, recipe.init);
  return {
    train,
    ...(stepsInLoop(target) && { steps: buildStepsLoop(train) }),
    eval: buildEvalStep(recipe, { target, conv: options.conv }),
    infer: buildInference(recipe.model, initial, target),
  };
}

/** The text form of a recipe's graphs (`netspec compile --print`), in `GRAPH_KINDS` order. */
export function printRecipeGraphs(
  recipe: Recipe,
  kinds: readonly GraphKind[] = GRAPH_KINDS,
  options: StepOptions = {},
) {
  const graphs = recipeGraphs(recipe, options);
  return kinds
    .flatMap((kind) => graphs[kind] ?? [])
    .map((built) => printGraph(built.graph))
    .join('\n');
}

export function compileRecipe(recipe: Recipe, options: StepOptions = {}): CompiledRecipe {
  const graphs = recipeGraphs(recipe, options);
  const shapes = parameterShapes(recipe.model);
  // Buffers and frozen layers' parameters are saved and exported, but not trained.
  const trainable = trainableShapes(recipe.model);
  const file = (kind: GraphKind) => `${recipe.name}.${kind}.onnx`;
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
      train: entry(file('train'), graphs.train),
      ...(graphs.steps && { steps: entry(file('steps'), graphs.steps) }),
      eval: entry(file('eval'), graphs.eval),
      infer: entry(file('infer'), graphs.infer),
    },
  };
  const doc = `netspec ${recipe.name} (${recipe.file})`;
  const write = (built: BuiltGraph, what: string) =>
    serializeModel(built.graph, { docString: `${doc}: ${what}` });
  const target = options.target ?? 'cpu';
  const built = [graphs.train, graphs.steps, graphs.eval, graphs.infer].flatMap((g) => g ?? []);
  const bytes = {
    train: () => write(graphs.train, 'training step'),
    ...(graphs.steps && { steps: () => write(graphs.steps!, 'training steps, several per run') }),
    eval: () => write(graphs.eval, 'evaluation step'),
    infer: () => write(graphs.infer, 'inference (initial weights)'),
  };
  return withGraphs(bytes, {
    manifest,
    target,
    ...(options.pixelScale !== undefined && { pixelScale: options.pixelScale }),
    memory: graphMemory(graphs.train.graph),
    warnings: placementWarnings(
      recipe,
      built.map((g) => g.graph),
      target,
    ),
  });
}

/** The ONNX bytes of each graph a CompiledRecipe holds, or how to make them. */
export type GraphBytes = { [K in GraphKind]?: Uint8Array | (() => Uint8Array) } & {
  train: Uint8Array | (() => Uint8Array);
  eval: Uint8Array | (() => Uint8Array);
  infer: Uint8Array | (() => Uint8Array);
};

/**
 * A CompiledRecipe whose graphs are written as ONNX when first read: a training run on the CPU
 * reads two of the four, and writing the frozen weights into the other two is most of a
 * finetune's compile time (docs/decisions/0023-time-to-first-step.md).
 */
export function withGraphs(
  bytes: GraphBytes,
  rest: Omit<CompiledRecipe, GraphKind>,
): CompiledRecipe {
  const compiled = { ...rest } as CompiledRecipe;
  for (const kind of GRAPH_KINDS) {
    const make = bytes[kind];
    if (make === undefined) continue;
    let made = typeof make === 'function' ? undefined : make;
    Object.defineProperty(compiled, kind, {
      enumerable: true,
      get: () => (made ??= (make as () => Uint8Array)()),
    });
  }
  return compiled;
}

/**
 * The evaluation-mode gradient of one batch's objective (`<param>.grad` outputs), for the full
 * training-set gradient norm a `stop when full_grad_norm …` condition tests.
 */
export function compileGradient(
  recipe: Recipe,
  target: Target = 'cpu',
): { graph: GraphEntry; onnx: Uint8Array } {
  const built = buildGradientStep(recipe, target);
  const doc = `netspec ${recipe.name} (${recipe.file}): gradient of one batch, evaluation mode`;
  return {
    graph: entry(`${recipe.name}.gradient.onnx`, built),
    onnx: serializeModel(built.graph, { docString: doc }),
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
  target: Target = 'cpu',
): Uint8Array {
  const built = buildInference(model, weights, target);
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

/**
 * A graph that hands each input back as an output of the same name + `.copy`: run on a device
 * with its inputs there, it brings them to the host (onnxruntime-node cannot read a device
 * tensor otherwise).
 */
export function copyModel(
  values: readonly { name: string; dtype: DType; shape: Shape }[],
): Uint8Array {
  const b = new GraphBuilder('copy');
  for (const v of values)
    b.output(b.op(onnx.Identity, [b.input(v.name, v.dtype, v.shape)], {}, `${v.name}.copy`));
  return serializeModel(b.graph);
}

/** One n×n·n×n float32 MatMul: the benchmark of the machine's matrix-multiply ceiling. */
export function matmulModel(n: number): Uint8Array {
  const b = new GraphBuilder('matmul');
  const a = b.input('a', 'float32', [n, n]);
  const c = b.input('b', 'float32', [n, n]);
  b.output(b.op(onnx.MatMul, [a, c], {}, 'c'));
  return serializeModel(b.graph);
}

export { OnnxReadError } from './onnx/read.js';

/**
 * The fixed [C, H, W] input size of an ONNX model, or undefined when any of them is dynamic.
 * Throws an OnnxReadError when the bytes are not a valid ONNX model.
 */
export function onnxInputDims(bytes: Uint8Array): number[] | undefined {
  const dims = onnxInputShape(bytes);
  return dims && dims.every((d) => typeof d === 'number' && d > 0) ? (dims as number[]) : undefined;
}

/** An ONNX model's [C, H, W] input, dynamic sizes by their names (`height`), if it has one. */
export function onnxInputShape(bytes: Uint8Array): (number | string)[] | undefined {
  const [input] = readOnnxInputs(bytes);
  return input?.dims.slice(1) as (number | string)[] | undefined;
}

export { registryReference, showValue } from './docs.js';
export { SCHEDULES, withWarmup } from './schedules.js';
export { quantitiesOf, stopReason, STEP_QUANTITIES, STOP_QUANTITIES } from './stopping.js';

/**
 * The blocked-convolution probe for block size `block`: two trainable-weight convolutions (one
 * with blocked input channels, one reading [N, C, H, W] directly) on onnxruntime's NCHWc kernel
 * (`blocked`) and the same in standard ops (`standard`), on inputs `x`, `w`, `x1`, `w1`. The
 * runtime runs it to learn whether this CPU and onnxruntime build have the kernel at this block
 * size: the two outputs agree only then.
 */
export function blockedConvProbe(block: number): { onnx: Uint8Array; inputs: ProbeInputs } {
  const b = new GraphBuilder('blocked-probe');
  const inputs: ProbeInputs = {
    x: [2, 2 * block, 5, 5],
    w: [2 * block, 2 * block, 3, 3],
    x1: [2, 1, 6, 6],
    w1: [block, 1, 3, 3],
  };
  for (const [name, shape] of Object.entries(inputs)) b.input(name, 'float32', shape);
  const conv = (x: string, w: string, name: string) =>
    b.op(onnx.Conv, [x, w], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, name);
  const blocked = [conv('x', 'w', 'blocked'), conv('x1', 'w1', 'blocked1')];
  lowerBlockedConvs(b.graph, { block });
  const standard = [conv('x', 'w', 'standard'), conv('x1', 'w1', 'standard1')];
  [...blocked, ...standard].forEach((v) => b.output(v));
  return {
    onnx: serializeModel(b.graph, { docString: 'netspec: blocked convolution probe' }),
    inputs,
  };
}

export type ProbeInputs = Record<'x' | 'w' | 'x1' | 'w1', number[]>;
