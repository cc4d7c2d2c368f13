// What netspec knows about an ONNX operator, in one definition per op: its inputs, outputs and
// attributes, how its output types follow from its inputs (the shape rule), its gradient (or
// why it has none), the opset its form dates from and how it is written for older ones, how a
// node of it in an imported model becomes a layer, and whether each GPU target runs it natively
// (the CPU runs every standard op). The table of every op is ops/index.ts; the GraphBuilder is
// typed by it, so an op or attribute name that it does not define is a compile error.
import type { GraphBuilder } from '../ir/builder.js';
import type { AttrValue, DType, Graph, Shape, Tensor, ValueInfo } from '../ir/graph.js';
import type { Conversion, ImportContext } from '../import/conversion.js';
import type { OnnxNode as ReadNode } from '../onnx/read.js';

/** How an attribute is typed in ONNX (the writer needs it: `1` may be an INT or a FLOAT). */
export type AttrKind =
  'int' | 'float' | 'ints' | 'floats' | 'string' | 'dtype' | 'tensor' | 'graph';
export type AttrSchema = Readonly<Record<string, AttrKind>>;

interface KindValues {
  int: number;
  float: number;
  ints: number[];
  floats: number[];
  string: string;
  dtype: DType;
  tensor: Tensor;
  graph: Graph;
}

/** The attributes a node of an op may carry; an op without attributes takes none. */
export type AttrValues<S extends AttrSchema> = [keyof S] extends [never]
  ? Record<string, never>
  : { [K in keyof S]?: KindValues[S[K]] };

/** A node of an op whose attributes follow its schema. */
export interface OpNode<S extends AttrSchema = AttrSchema> {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs: AttrValues<S>;
  origin: string;
}

/**
 * An output's type. `value` is the content of a small int64 tensor when it is known as the graph
 * is built — a Constant's, or a Shape's (the batch as 'N') — so that ops taking shapes, axes or
 * bounds as inputs (Reshape, Slice, ReduceSum, …) have static output shapes.
 */
export interface OutputType {
  dtype: DType;
  shape: Shape;
  value?: readonly (number | 'N')[];
}

export type ShapeRule<S extends AttrSchema> = (
  inputs: ValueInfo[],
  attrs: AttrValues<S>,
) => OutputType[];

/** The gradient of each input (undefined where none is needed), given the outputs'. */
export type Gradients = (string | undefined)[];

export type GradientRule<S extends AttrSchema> = (
  b: GraphBuilder,
  node: OpNode<S>,
  outputGrads: (string | undefined)[],
  needed: boolean[],
) => Gradients;

/**
 * No gradient flows through the op, and why: its output is an integer, a bool, a shape or a
 * piecewise constant, so the gradient of every input is zero.
 */
export interface NoGradient {
  none: string;
}

/**
 * The op is differentiable but netspec has no rule, and why (it only emits it inside gradients
 * and updates): differentiating through it is an error naming the node.
 */
export interface NoRule {
  unsupported: string;
}

/**
 * Whether a target runs a node natively: true, or why not (onnxruntime then runs the node on the
 * CPU, with copies to and from the device around it, or fails). A function decides per node,
 * from its outputs, its attributes and its values' types. `true` holds for the element types a
 * target computes with: on WebGPU, int64 is only read where `indexInputs` says (ops/support.ts).
 */
export type Support<S extends AttrSchema> =
  true | string | ((node: OpNode<S>, typeOf: (value: string) => ValueInfo) => true | string);

/** The verdict for an op that onnxruntime-node 1.30's WebGPU provider has no kernel for. */
export const NO_WEBGPU_KERNEL = 'no WebGPU kernel in onnxruntime 1.30';

/** The verdict for an op that onnxruntime's CUDA provider has no kernel for. */
export const NO_CUDA_KERNEL = 'no CUDA kernel in onnxruntime';

/** A node as it is written to ONNX: its attributes already in their written form. */
export interface WrittenNode {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrValue>;
  origin: string;
}

/** Writing a node for an opset older than its `since`: the nodes that mean the same there. */
export type Downgrade = (node: WrittenNode, opset: number, graph: Graph) => WrittenNode[];

/**
 * A non-standard operator set: onnxruntime's internal blocked-layout (NCHWc) kernels, which only
 * its CPU provider runs and which promise no compatibility between versions. Only the CPU
 * lowering of training and evaluation steps emits them (compiler/lower/blocked-conv.ts); exports,
 * WebGPU graphs and older-opset writes never do.
 */
export interface OpDomain {
  name: 'com.microsoft.nchwc';
  version: 1;
}

export const NCHWC_DOMAIN: OpDomain = { name: 'com.microsoft.nchwc', version: 1 };

export interface OpDef<N extends string = string, S extends AttrSchema = AttrSchema> {
  name: N;
  /** The operator set of a non-standard op; standard (default-domain) ops have none. */
  domain?: OpDomain;
  /** What the op computes, in a line (the spec: https://onnx.ai/onnx/operators/onnx__<name>.html). */
  doc: string;
  /** Input names; `name?` is optional, `name...` takes the rest. */
  inputs: readonly string[];
  /** Output names; `name?` is optional (a node may ask for fewer). */
  outputs: readonly string[];
  attrs: S;
  shape: ShapeRule<S>;
  gradient: GradientRule<S> | NoGradient | NoRule;
  /** The earliest default-domain opset at which the op, as netspec writes it, means the same. */
  since: number;
  /** How it is written below `since`; without it, an older opset is an error naming the node. */
  downgrade?: Downgrade;
  /** The opset an attribute value needs, when it is later than `since` (what, opset). */
  attrSince?: (attrs: WrittenNode['attrs']) => [string, number] | undefined;
  /**
   * Inputs that are shapes, axes or indices (int64 by the ONNX spec), which every target reads
   * as such; an int64 value anywhere else is arithmetic on int64.
   */
  indexInputs?: readonly string[];
  /**
   * Whether onnxruntime-node 1.30's WebGPU provider runs it, as measured one op at a time on
   * SwiftShader with CPU fallback disabled (docs/decisions/).
   */
  webgpu: Support<S>;
  /**
   * Whether onnxruntime's CUDA provider has a kernel for it (its generated kernel table,
   * docs/OperatorKernels.md in onnxruntime's repository; never run from here).
   */
  cuda: Support<S>;
  /** An op of netspec's own that is written as this standard op (its meaning differs in autodiff). */
  writtenAs?: string;
  /** How a node of this op in an imported ONNX model becomes a layer. */
  import?: (node: ReadNode, ctx: ImportContext) => Conversion;
}

/** Declares an op; `const` keeps its name and attribute kinds literal for the builder's types. */
export function defineOp<const N extends string, const S extends AttrSchema>(
  def: OpDef<N, S>,
): OpDef<N, S> {
  return def;
}

export class ShapeError extends Error {}

/** A node that has no form at the opset asked for (`netspec export --opset`). */
export class OpsetError extends Error {}

export function fail(message: string): never {
  throw new ShapeError(message);
}
