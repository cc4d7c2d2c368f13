// The backward driver: given a scalar loss and the values to differentiate by, it walks the
// forward nodes in reverse order, applies each op's gradient rule (ops/, `gradient`),
// accumulates gradients that meet, un-broadcasts, and fails loudly on an op without a rule. Only gradients that reach a
// requested value are built, so frozen parts of a network cost nothing beyond what flows
// through them.
import type { GraphBuilder } from '../ir/builder.js';
import type { Node, Shape } from '../ir/graph.js';
import { sameShape } from '../ir/graph.js';
import { reshape } from '../ir/ops-helpers.js';
import type { Gradients } from '../ops/index.js';
import { opDef } from '../ops/index.js';
import { onnx } from '../ops/index.js';

export function backward(
  b: GraphBuilder,
  loss: string,
  wrt: readonly string[],
): Map<string, string> {
  const forward = [...b.graph.nodes];
  const dependsOnWrt = valuesDependingOn(forward, wrt);
  const grads = new Map<string, string>([[loss, b.scalar(1)]]);
  for (let i = forward.length - 1; i >= 0; i--) {
    const node = forward[i];
    const outputGrads = node.outputs.map((o) => grads.get(o));
    if (outputGrads.every((g) => g === undefined)) continue;
    const needed = node.inputs.map((input) => dependsOnWrt.has(input));
    if (!needed.some(Boolean)) continue;
    const inputGrads = b.within(`${node.origin || node.op}/grad`, () =>
      applyRule(b, node, outputGrads, needed),
    );
    node.inputs.forEach((input, k) => {
      const g = inputGrads[k];
      if (!needed[k] || g === undefined) return;
      const fitted = b.within(`${node.origin}/grad`, () => unbroadcast(b, g, b.info(input).shape));
      const previous = grads.get(input);
      grads.set(input, previous ? b.op(onnx.Add, [previous, fitted]) : fitted);
    });
  }
  const result = new Map<string, string>();
  for (const w of wrt) {
    const g = grads.get(w);
    if (!g) throw new Error(`the loss does not depend on '${w}'`);
    result.set(w, g);
  }
  return result;
}

/** The gradients of a node's inputs by its op's rule; none where the op has none. */
function applyRule(
  b: GraphBuilder,
  node: Node,
  outputGrads: (string | undefined)[],
  needed: boolean[],
): Gradients {
  const { gradient } = opDef(node.op);
  if ('none' in gradient) return node.inputs.map(() => undefined);
  if ('unsupported' in gradient) {
    const where = node.origin || 'the graph';
    throw new Error(
      `no gradient rule for ONNX op '${node.op}' (from ${where}): ${gradient.unsupported}`,
    );
  }
  return gradient(b, node as never, outputGrads, needed);
}

/** Values computed (transitively) from any of `sources`, including the sources themselves. */
function valuesDependingOn(nodes: readonly Node[], sources: readonly string[]): Set<string> {
  const reached = new Set(sources);
  for (const node of nodes) {
    if (node.inputs.some((i) => reached.has(i))) node.outputs.forEach((o) => reached.add(o));
  }
  return reached;
}

/** Sums a gradient over the axes that broadcasting expanded, back to `target`'s shape. */
function unbroadcast(b: GraphBuilder, grad: string, target: Shape): string {
  const shape = b.info(grad).shape;
  if (sameShape(shape, target)) return grad;
  const lead = shape.length - target.length;
  const axes: number[] = [];
  shape.forEach((d, i) => {
    if (i < lead || (target[i - lead] === 1 && d !== 1)) axes.push(i);
  });
  // Shapes that differ only where one says 'N' and the other the batch size hold the same
  // elements: nothing to sum (ReduceSum with no axes would sum them all).
  if (axes.length === 0) return grad;
  const summed = b.reduceSum(grad, axes, true);
  if (lead === 0) return summed;
  return reshape(b, summed, target);
}
