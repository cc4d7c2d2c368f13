// What each kind of registry entry is to netspec: a layer, a loss, an optimizer, a schedule, an
// initializer, a transform, a data source. Each entry of a registry (layers/, losses.ts, optim/,
// schedules.ts, initializers.ts, transforms.ts, check/dataset.ts) implements one of these, and
// the checker, the compiler, the docs and the editor read the same entry.
import type { GraphBuilder } from '../ir/builder.js';
import type { Shape } from '../ir/graph.js';
import type { ArgSpec, BoundArgs } from './args.js';

// ---- layers --------------------------------------------------------------------------------

/** How a parameter's initial values are drawn. */
export type InitSpec =
  | { kind: 'uniform'; bound: number }
  | { kind: 'normal'; std: number }
  | { kind: 'constant'; value: number };

export interface ParamSpec {
  /** The PyTorch attribute name: `weight`, `bias`, `running_mean`. */
  name: string;
  shape: number[];
  /** PyTorch's default initialization for this layer. */
  init: InitSpec;
  /**
   * `param` (default): trained by the optimizer. `buffer`: state the forward pass updates in
   * training mode (batch norm's running statistics), carried from step to step, never trained.
   */
  kind?: 'param' | 'buffer';
}

/** How a layer is lowered: `train` for the training step, `eval` for evaluation and export. */
export interface LowerContext {
  mode: 'train' | 'eval';
  /**
   * Train mode only: the step counter (an integer scalar graph input, int32 on WebGPU) and the recipe's seed,
   * from which dropout derives its masks, so the same spec and seed give the same masks.
   */
  step?: string;
  seed?: number;
  /**
   * Training and evaluation graphs, not exports: constant weights may be lowered to a faster
   * equivalent that no longer reads as the layer (a frozen conv on a tiny map as one GEMM).
   */
  internal?: boolean;
  /**
   * The graph is differentiated although in eval mode (`full_grad_norm`'s gradient pass):
   * layers also output what their gradient rules read (max pooling's indices).
   */
  differentiated?: boolean;
}

/**
 * A layer's output shape, or what is wrong: `arg` names the argument to point at,
 * `inputNotes` says something about each input, noted at the value it came from, and
 * `outOfRange` says it is an argument's value, not the input's shape, that does not fit.
 */
export type ShapeResult =
  { shape: Shape } | { error: string; arg?: string; inputNotes?: string[]; outOfRange?: boolean };

/**
 * One torch.nn layer (or torch function, for `+` and `concat`): its arguments with torch's
 * names and defaults, a doc line, the shape rule, its parameters and their default
 * initialization, and its lowering to IR.
 */
export interface LayerDef {
  name: string;
  doc: string;
  args: ArgSpec[];
  /** `several`: the layer combines two or more values (`a + b`, `concat(a, b)`); else one. */
  inputs?: 'several';
  /** The output shape for the input shapes (batch included), or what is wrong and which argument to blame. */
  infer(inputs: Shape[], args: BoundArgs): ShapeResult;
  params(inputs: Shape[], args: BoundArgs): ParamSpec[];
  /**
   * Emits the layer's forward computation; `params` maps ParamSpec names to IR values. A layer
   * with buffers returns their updated values in training mode as `updates` (by ParamSpec name).
   */
  lower(
    b: GraphBuilder,
    inputs: string[],
    params: Record<string, string>,
    args: BoundArgs,
    ctx: LowerContext,
  ): string | { output: string; updates: Record<string, string> };
}

export const noParams = (): ParamSpec[] => [];

// ---- losses, optimizers, schedules, initializers ---------------------------------------------

export interface LossDef {
  name: string;
  doc: string;
  /** torch.nn's argument names and defaults: `cross_entropy(label_smoothing: 0.1)`. */
  args: ArgSpec[];
  /** What is wrong with using this loss on `output` for `classes` classes, if anything. */
  check(output: Shape, classes: number | undefined): string | undefined;
  /** Emits the mean loss over the batch; `labels` are int64 class indices [N]. */
  build(b: GraphBuilder, logits: string, labels: string, args: BoundArgs): string;
}

export interface UpdateInputs {
  param: string;
  grad: string;
  /** Current optimizer state for this parameter, by slot name. */
  state: Record<string, string>;
  /** Scalar learning rate (a graph input, so schedules live in the runtime). */
  lr: string;
  /** Scalar integer count of steps taken before this one (int64, or int32 on WebGPU). */
  step: string;
}

export interface UpdateOutputs {
  param: string;
  state: Record<string, string>;
}

/**
 * torch.optim's arguments and defaults, the state kept per parameter, and the update rule
 * emitted as graph nodes, so a training step is one ONNX model.
 */
export interface OptimizerDef {
  name: string;
  doc: string;
  args: ArgSpec[];
  /** Names of per-parameter state tensors (shaped like the parameter, starting at zero). */
  slots(args: BoundArgs): string[];
  /**
   * A problem with how the bound arguments combine, which torch.optim refuses with a
   * ValueError (ranges of single arguments are the ArgSpecs' job); `arg` names the argument
   * to point at.
   */
  check?(args: BoundArgs): { arg: string; message: string } | undefined;
  update(b: GraphBuilder, inputs: UpdateInputs, args: BoundArgs): UpdateOutputs;
}

export interface ScheduleContext {
  /** The optimizer's learning rate: the rate at step 1 / epoch 1. */
  base: number;
  stepsPerEpoch: number;
  epochs: number;
}

export interface Schedule {
  /** The learning rate for the step with 0-based index `step` (in 0-based `epoch`). */
  rate(step: number, epoch: number): number;
  /** Called after each epoch with the monitored metric (reduce-on-plateau uses it). */
  endEpoch?(metric: number | undefined): void;
}

export interface ScheduleDef {
  name: string;
  doc: string;
  args: ArgSpec[];
  create(args: BoundArgs, ctx: ScheduleContext): Schedule;
}

export interface InitializerDef {
  name: string;
  doc: string;
  args: ArgSpec[];
  /** The distribution for a weight of this shape; undefined: data-driven (decided at run time). */
  spec(shape: number[], args: BoundArgs): InitSpec | { kind: 'range'; low: number; high: number };
}

// ---- data ------------------------------------------------------------------------------------

/** A torchvision transform: the runtime implements each by name (runtime/data/transforms/). */
export interface TransformDef {
  name: string;
  doc: string;
  args: ArgSpec[];
  /** Random augmentation: applied to the training split only. */
  trainOnly: boolean;
}

/** What can stand on the right of `train =` in a dataset: the runtime reads each by name. */
export interface SourceDef {
  name: string;
  doc: string;
  args: ArgSpec[];
}
