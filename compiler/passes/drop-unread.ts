// Drops what nothing reads. Gradient rules build the gradient of every input of a node and the
// backward driver keeps those it needs, but the rest (the gradient of dropout's mask, of a
// constant factor) would still run, since onnxruntime executes every node of a graph. Constants
// go too: a frozen conv lowered to a dense matrix leaves its weights unread, and so does a
// frozen batch norm its batch counter; onnxruntime would drop them too, with a warning each,
// after reading them from a file they made larger.
import type { Graph } from '../ir/graph.js';

/** `graph` without the nodes and constants no output depends on. */
export function dropUnread(graph: Graph): Graph {
  const read = new Set(graph.outputs.map((o) => o.name));
  const live = [];
  // In reverse order, so that a chain nobody reads goes whole.
  for (const node of [...graph.nodes].reverse()) {
    if (!node.outputs.some((o) => read.has(o))) continue;
    live.push(node);
    node.inputs.forEach((i) => read.add(i));
  }
  const nodes = live.reverse();
  const initializers = new Map([...graph.initializers].filter(([name]) => read.has(name)));
  const defined = new Set([
    ...graph.inputs.map((i) => i.name),
    ...initializers.keys(),
    ...nodes.flatMap((n) => n.outputs),
  ]);
  const values = new Map([...graph.values].filter(([name]) => defined.has(name)));
  return { ...graph, nodes, initializers, values };
}
