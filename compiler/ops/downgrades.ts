// Rewrites shared by ops whose written form changed between opsets (`netspec export --opset`).
import type { Downgrade } from './op.js';
import { OpsetError } from './op.js';

/**
 * Before the opset that made `axes` an input (ReduceSum and Unsqueeze 13, ReduceMean 18), they
 * are an attribute: the constant input's value.
 */
export const axesAsAttribute: Downgrade = (node, _opset, graph) => {
  if (node.inputs.length < 2) return [node];
  const axes = graph.values.get(node.inputs[1])?.value;
  if (!axes || axes.some((a) => a === 'N'))
    throw new OpsetError(`${node.op} (${node.origin || graph.name}): its axes are not constant`);
  return [{ ...node, inputs: [node.inputs[0]], attrs: { ...node.attrs, axes: axes as number[] } }];
};
