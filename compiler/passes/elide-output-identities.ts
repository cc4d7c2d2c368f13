// Publishing a value as a graph output goes through an Identity (so outputs keep readable
// names), but onnxruntime keeps an Identity whose result is a graph output, and copying every
// parameter and optimizer slot once more per step costs a whole pass over the model's state.
// This pass renames each published value to its output name and drops the Identity instead.
import type { Graph, Node } from '../ir/graph.js';

/**
 * `graph` with each output that an Identity publishes made by the Identity's producer. Values
 * that are graph inputs or initializers, or are published twice, keep their Identity.
 */
export function elideOutputIdentities(graph: Graph): Graph {
  const outputs = new Set(graph.outputs.map((o) => o.name));
  const kept = new Set([...graph.inputs.map((i) => i.name), ...graph.initializers.keys()]);
  const rename = new Map<string, string>();
  for (const node of graph.nodes) {
    const [value] = node.inputs;
    if (node.op !== 'Identity' || !outputs.has(node.outputs[0])) continue;
    if (kept.has(value) || outputs.has(value) || rename.has(value)) continue;
    rename.set(value, node.outputs[0]);
  }
  const published = new Set(rename.values());
  const elided = (n: Node) => n.op === 'Identity' && published.has(n.outputs[0]);
  const renamed = (v: string) => rename.get(v) ?? v;
  const nodes = graph.nodes
    .filter((n) => !elided(n) || rename.get(n.inputs[0]) !== n.outputs[0])
    .map((n) => ({ ...n, inputs: n.inputs.map(renamed), outputs: n.outputs.map(renamed) }));
  const values = new Map([...graph.values].filter(([name]) => !rename.has(name)));
  return { ...graph, nodes, values };
}
