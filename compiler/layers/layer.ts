// What a layer is to netspec. One `LayerDef` per torch.nn layer says everything about it —
// arguments (torch.nn's names and defaults), a doc line, the shape rule, its parameters and
// their default initialization, and its lowering to IR — so the checker, the compiler, the
// docs and the editor read one table and never disagree.
import type { ArgSpec, BoundArgs } from '../check/args.js';
import type { Shape } from '../ir/graph.js';
import type { GraphBuilder } from '../ir/builder.js';

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
   * Train mode only: the step counter (an int64 scalar graph input) and the recipe's seed,
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

export type ShapeResult = { shape: Shape } | { error: string; arg?: string };

export interface LayerDef {
  name: string;
  doc: string;
  args: ArgSpec[];
  /** The output shape for an input shape (batch included), or what is wrong and which argument to blame. */
  infer(input: Shape, args: BoundArgs): ShapeResult;
  params(input: Shape, args: BoundArgs): ParamSpec[];
  /**
   * Emits the layer's forward computation; `params` maps ParamSpec names to IR values. A layer
   * with buffers returns their updated values in training mode as `updates` (by ParamSpec name).
   */
  lower(
    b: GraphBuilder,
    x: string,
    params: Record<string, string>,
    args: BoundArgs,
    ctx: LowerContext,
  ): string | { output: string; updates: Record<string, string> };
}

export const noParams = (): ParamSpec[] => [];
