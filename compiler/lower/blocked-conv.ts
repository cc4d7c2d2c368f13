// The CPU lowering's convolutions: onnxruntime's blocked-layout (NCHWc) Conv kernel for
// convolutions whose weight is computed in the graph — trainable weights, and the flipped
// weights of an input gradient. onnxruntime gives that kernel only to convolutions with
// constant weights (its own graph optimizer reorders those once, at load); here the weight is
// reordered into the blocked filter layout by standard Reshape and Transpose nodes on every
// run. The rewrite runs after autodiff on the finished step graph, so gradients are those of
// the standard Conv (dW in the [O, C, kh, kw] layout the optimizer updates) and a graph written
// without it is the same computation in standard ops: what exports, WebGPU and CPUs without
// the kernel get (the runtime's probe decides, runtime/blocked-probe.ts). Measurements:
// docs/decisions/0021-blocked-convolutions.md.
import { GraphBuilder } from '../ir/builder.js';
import type { Graph, Node } from '../ir/graph.js';
import { pad, reshape } from '../ir/ops-helpers.js';
import { onnx } from '../ops/index.js';
import { blockedFits } from '../ops/nchwc.js';

/** How a build lowers trainable convolutions: standard ops, or blocked with the CPU's block size. */
export interface ConvLowering {
  /** The NCHWc block size (BLOCK_SIZES); 0 for standard ops only. */
  block: number;
}

export const STANDARD: ConvLowering = { block: 0 };

/** Rewrites every Conv of `graph` whose weight is computed in the graph and fits the kernel. */
export function lowerBlockedConvs(graph: Graph, lowering: ConvLowering): void {
  if (lowering.block === 0) return;
  const constant = constantValues(graph);
  const b = GraphBuilder.resuming(graph);
  const blockedInputs = new Map<string, string>();
  const nodes = graph.nodes;
  graph.nodes = [];
  for (const node of nodes) {
    const [x, w] = node.inputs.map((i) => graph.values.get(i)!);
    const fits =
      node.op === 'Conv' &&
      !constant.has(w.name) &&
      blockedFits(lowering.block, x, w, (node.attrs.group as number | undefined) ?? 1);
    if (fits) b.within(node.origin, () => blockedConv(b, node, lowering.block, blockedInputs));
    else graph.nodes.push(node);
  }
}

/**
 * Values that depend on no graph input: initializers, Constants and what is computed from them
 * alone. onnxruntime folds those at load, so a Conv on such a weight gets its own NCHWc rewrite.
 */
function constantValues(graph: Graph): Set<string> {
  const constant = new Set(graph.initializers.keys());
  for (const node of graph.nodes) {
    if (node.inputs.every((i) => i === '' || constant.has(i)))
      node.outputs.forEach((o) => constant.add(o));
  }
  return constant;
}

/** ReorderInput → Conv (blocked) → ReorderOutput, writing the Conv's own output value. */
function blockedConv(
  b: GraphBuilder,
  node: Node,
  block: number,
  blockedInputs: Map<string, string>,
): void {
  const [x, w, bias] = node.inputs;
  const [o, c, kh, kw] = b.info(w).shape as number[];
  let input = x;
  if (c >= block) {
    input = blockedInputs.get(x) ?? b.op(onnx.NchwcReorderInput, [x]);
    blockedInputs.set(x, input);
  }
  const padded = Math.ceil(o / block) * block;
  const weight = blockedWeight(b, padTo(b, w, padded, 4), [padded, c, kh, kw], block);
  const window = ['kernel_shape', 'strides', 'pads', 'dilations'] as const;
  const attrs = Object.fromEntries(
    window.filter((k) => node.attrs[k] !== undefined).map((k) => [k, node.attrs[k] as number[]]),
  );
  const inputs = bias ? [input, weight, padTo(b, bias, padded, 1)] : [input, weight];
  const conv = b.op(onnx.NchwcConv, inputs, attrs);
  const [y] = node.outputs;
  b.graph.values.delete(y);
  b.op(onnx.NchwcReorderOutput, [conv], { channels: o }, y);
}

/** `v` with zeros appended along its first axis up to `size` entries (of rank `rank`). */
function padTo(b: GraphBuilder, v: string, size: number, rank: number): string {
  const first = b.info(v).shape[0] as number;
  if (first === size) return v;
  const pads = Array.from({ length: 2 * rank }, (_, i) => (i === rank ? size - first : 0));
  return pad(b, v, pads);
}

/**
 * The weight [O, C, kh, kw] (O a whole number of blocks) in the blocked filter layout: element
 * (o, c, i, j) moves to [o/b][c/b][i][j][c mod b][o mod b] (onnxruntime's OIHWBiBo), or, with
 * fewer input channels than a block, to [o/b][c][i][j][o mod b] (OIHWBo). The kernel reads the
 * same logical shape.
 */
function blockedWeight(b: GraphBuilder, w: string, dims: number[], block: number): string {
  const [o, c, kh, kw] = dims;
  const moved =
    c >= block
      ? b.op(onnx.Transpose, [reshape(b, w, [o / block, block, c / block, block, kh, kw])], {
          perm: [0, 2, 4, 5, 3, 1],
        })
      : b.op(onnx.Transpose, [reshape(b, w, [o / block, block, c, kh, kw])], {
          perm: [0, 2, 3, 4, 1],
        });
  return reshape(b, moved, dims);
}
