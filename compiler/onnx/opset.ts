// Writing a graph for an older default-domain opset than the one netspec builds in (18), for
// runtimes and converters that stop earlier. Each op netspec emits is listed with the earliest
// opset whose signature and meaning match what netspec writes at 18; ops whose form changed are
// rewritten (from the ONNX operator changelog):
//   ReduceMean   opset 18 takes `axes` as an input; before, an attribute.
//   ReduceSum    opset 13 takes `axes` as an input; before, an attribute.
//   ReduceSumSquare  written without axes (every axis), the same meaning since opset 1.
//   Unsqueeze    opset 13 takes `axes` as an input; before, an attribute.
//   Softmax, LogSoftmax  before 13 they flatten the input to 2-D at `axis` and normalize over
//                everything after it; that equals 13's per-axis meaning only when `axis` is the
//                last dimension, so another axis is moved last by a Transpose and back.
// Everything else netspec emits has had its present form since opset 11 or earlier (Pad, Range
// and negative axes arrived in 11), which is where the supported range starts. An op or an
// attribute with no older form is an error naming it, never a silently different graph.
import type { AttrValue, Graph } from '../ir/graph.js';

export const DEFAULT_OPSET = 18;
export const MIN_OPSET = 11;
export const MAX_OPSET = 18;

export class OpsetError extends Error {}

/** A node as it is written to ONNX: attributes already in their ONNX form. */
export interface OnnxNode {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrValue>;
  origin: string;
}

/**
 * The earliest opset in which each op, in the form netspec writes it at opset 18, is valid with
 * the same meaning (the ops rewritten below are listed with the opset whose form they take).
 */
const SINCE: Record<string, number> = {
  Abs: 6,
  Add: 7,
  ArgMax: 11,
  AveragePool: 11,
  BatchNormalization: 9,
  BitShift: 11,
  BitwiseXor: 18,
  Cast: 6,
  Col2Im: 18,
  Concat: 11,
  Constant: 11,
  ConstantOfShape: 9,
  Conv: 11,
  ConvTranspose: 11,
  Div: 7,
  Elu: 6,
  Equal: 11,
  Erf: 9,
  Exp: 6,
  Expand: 8,
  Flatten: 11,
  Gather: 11,
  Gemm: 11,
  GlobalAveragePool: 1,
  Greater: 9,
  Identity: 1,
  LeakyRelu: 6,
  Less: 9,
  Log: 6,
  LogSoftmax: 13,
  MatMul: 9,
  Max: 8,
  MaxPool: 11,
  Mod: 10,
  Mul: 7,
  Neg: 6,
  Pad: 11,
  Pow: 7,
  Range: 11,
  ReduceMean: 18,
  ReduceSum: 13,
  ReduceSumSquare: 1,
  Relu: 6,
  Reshape: 5,
  ScatterElements: 11,
  Shape: 1,
  Sigmoid: 6,
  Sign: 9,
  Size: 1,
  Slice: 11,
  Softmax: 13,
  SoftmaxCrossEntropyLoss: 13,
  Softplus: 1,
  Sqrt: 6,
  Sub: 7,
  Tanh: 6,
  Transpose: 1,
  Unsqueeze: 13,
  Where: 9,
};

/** Attributes that arrived after their op: the opset each needs (given its value). */
function attributeNeeds(node: OnnxNode): [string, number] | undefined {
  const a = node.attrs;
  if (node.op === 'ScatterElements' && a.reduction !== undefined && a.reduction !== 'none')
    return [
      `reduction="${String(a.reduction)}"`,
      a.reduction === 'add' || a.reduction === 'mul' ? 16 : 18,
    ];
  if (node.op === 'Shape' && (a.start !== undefined || a.end !== undefined))
    return ['start/end', 15];
  if (node.op === 'Reshape' && a.allowzero) return ['allowzero', 14];
  if (node.op === 'ArgMax' && a.select_last_index) return ['select_last_index', 12];
  return undefined;
}

/** Ops whose axes moved from an attribute to an input, and the opset that moved them. */
const AXES_INPUT_SINCE: Record<string, number> = { ReduceMean: 18, ReduceSum: 13, Unsqueeze: 13 };

/**
 * `nodes` (netspec's opset-18 form) rewritten for `opset`; `irAttrs` gives each node's builder
 * attributes (the constant axes the builder states beside the input). Throws OpsetError when a
 * node has no form at that opset.
 */
export function nodesForOpset(
  graph: Graph,
  nodes: OnnxNode[],
  irAttrs: Record<string, AttrValue>[],
  opset: number,
): OnnxNode[] {
  if (!Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET) {
    throw new OpsetError(
      `opset ${opset} is not supported: netspec writes opsets ${MIN_OPSET} to ${MAX_OPSET}`,
    );
  }
  if (opset === DEFAULT_OPSET) return nodes;
  const out: OnnxNode[] = [];
  nodes.forEach((node, i) => {
    const where = `${node.op} (${node.origin || graph.name})`;
    const since = SINCE[node.op];
    if (since === undefined)
      throw new OpsetError(`${where} has no known form before opset ${DEFAULT_OPSET}`);
    const needs = attributeNeeds(node);
    if (needs && opset < needs[1]) {
      throw new OpsetError(`${where} with ${needs[0]} needs opset ${needs[1]} or later`);
    }
    const axesSince = AXES_INPUT_SINCE[node.op];
    if (axesSince !== undefined && opset < axesSince && node.inputs.length > 1) {
      const axes = irAttrs[i].axes;
      if (!Array.isArray(axes))
        throw new OpsetError(
          `${where}: its axes are not constant, so opset ${opset} cannot state them`,
        );
      out.push({ ...node, inputs: [node.inputs[0]], attrs: { ...node.attrs, axes } });
      return;
    }
    if ((node.op === 'Softmax' || node.op === 'LogSoftmax') && opset < 13) {
      out.push(...lastAxisSoftmax(graph, node));
      return;
    }
    if (since > opset && axesSince === undefined)
      throw new OpsetError(`${where} needs opset ${since} or later`);
    out.push(node);
  });
  return withoutUnusedConstants(graph, out);
}

/** Softmax over `axis` in the pre-13 form: over the last axis, transposing when it is not. */
function lastAxisSoftmax(graph: Graph, node: OnnxNode): OnnxNode[] {
  const input = graph.values.get(node.inputs[0]);
  if (!input) throw new OpsetError(`${node.op} (${node.origin}): the input's rank is unknown`);
  const rank = input.shape.length;
  const given = typeof node.attrs.axis === 'number' ? node.attrs.axis : -1;
  const axis = given < 0 ? given + rank : given;
  if (axis === rank - 1) return [{ ...node, attrs: { ...node.attrs, axis } }];
  const perm = [...Array(rank).keys()];
  [perm[axis], perm[rank - 1]] = [perm[rank - 1], perm[axis]];
  const [x] = node.inputs;
  const [y] = node.outputs;
  const moved = `${y}/axis_last`;
  const normalized = `${y}/normalized`;
  return [
    { op: 'Transpose', inputs: [x], outputs: [moved], attrs: { perm }, origin: node.origin },
    { ...node, inputs: [moved], outputs: [normalized], attrs: { ...node.attrs, axis: rank - 1 } },
    // swapping two axes is its own inverse
    { op: 'Transpose', inputs: [normalized], outputs: [y], attrs: { perm }, origin: node.origin },
  ];
}

/** Drops Constant nodes that only fed the axes inputs rewritten into attributes. */
function withoutUnusedConstants(graph: Graph, nodes: OnnxNode[]): OnnxNode[] {
  const used = new Set([...nodes.flatMap((n) => n.inputs), ...graph.outputs.map((o) => o.name)]);
  return nodes.filter((n) => n.op !== 'Constant' || n.outputs.some((o) => used.has(o)));
}
