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
  /** The PyTorch attribute name: `weight`, `bias`. */
  name: string;
  shape: number[];
  /** PyTorch's default initialization for this layer. */
  init: InitSpec;
}

export type ShapeResult = { shape: Shape } | { error: string; arg?: string };

export interface LayerDef {
  name: string;
  doc: string;
  args: ArgSpec[];
  /** The output shape for an input shape (batch included), or what is wrong and which argument to blame. */
  infer(input: Shape, args: BoundArgs): ShapeResult;
  params(input: Shape, args: BoundArgs): ParamSpec[];
  /** Emits the layer's forward computation; `params` maps ParamSpec names to IR values. */
  lower(b: GraphBuilder, x: string, params: Record<string, string>, args: BoundArgs): string;
}

export const noParams = (): ParamSpec[] => [];
