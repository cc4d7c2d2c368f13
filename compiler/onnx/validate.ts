// Checks an ONNX graph read from a file before anything uses it: every node reads only values
// defined before it (graph inputs, initializers, earlier nodes' outputs) — so the nodes are in
// topological order and there is no cycle —, every value is defined once, the graph has an
// input and its outputs are defined, and dimensions are non-negative integers within bounds.
// (Initializer byte counts are checked against their dims as they are decoded, in read.ts.)
import type { OnnxModel } from './read.js';

/** Elements of one tensor netspec reads from an ONNX file (a float32 array of them must fit). */
export const MAX_ONNX_ELEMENTS = 2 ** 31 - 1;

/** Why the graph cannot be used, or undefined. */
export function graphProblem(model: OnnxModel): string | undefined {
  if (model.inputs.length === 0) return 'the graph has no input';
  if (model.outputs.length === 0) return 'the graph has no output';
  const made = new Map<string, string>(); // value → what defines it
  for (const name of model.initializers.keys()) made.set(name, 'an initializer');
  for (const input of model.inputs) {
    if (made.has(input.name)) return `graph input '${input.name}' is defined twice`;
    made.set(input.name, 'a graph input');
    const bad = input.dims.find(
      (d) => typeof d === 'number' && !(d >= 0 && d <= MAX_ONNX_ELEMENTS),
    );
    if (bad !== undefined) return `graph input '${input.name}' has dimension ${bad}`;
  }
  const later = new Map<string, string>(); // value → the node that makes it, for messages
  model.nodes.forEach((node) => node.outputs.forEach((o) => o && later.set(o, node.name)));
  for (const node of model.nodes) {
    for (const input of node.inputs) {
      if (input === '' || made.has(input)) continue;
      const maker = later.get(input);
      if (maker === node.name)
        return `node '${node.name}' reads its own output '${input}' (a cycle)`;
      return maker
        ? `node '${node.name}' reads '${input}' before node '${maker}' makes it (the nodes are not in topological order, or form a cycle)`
        : `node '${node.name}' reads '${input}', which nothing defines`;
    }
    for (const output of node.outputs) {
      if (output === '') continue;
      if (made.has(output))
        return `node '${node.name}' makes '${output}', which ${made.get(output)} already defines`;
      made.set(output, `node '${node.name}'`);
    }
  }
  const missing = model.outputs.find((o) => !made.has(o.name));
  return missing ? `graph output '${missing.name}' is not made by any node` : undefined;
}
