// Writing a graph for an older default-domain opset than the one netspec builds in (18), for
// runtimes and converters that stop earlier (`netspec export --opset`). Each op's definition
// (ops/) gives the earliest opset whose form means what netspec writes at 18 (`since`), the
// opset an attribute value needs (`attrSince`), and how it is rewritten below `since`
// (`downgrade`) where it has an older form. Opset 11 is where the supported range starts (Pad,
// Range and negative axes arrived then). An op with no older form is an error naming it,
// never a silently different graph.
import type { Graph } from '../ir/graph.js';
import type { WrittenNode } from '../ops/op.js';
import { OpsetError } from '../ops/op.js';
import { opDef } from '../ops/index.js';

export { OpsetError };
export type { WrittenNode };

export const DEFAULT_OPSET = 18;
export const MIN_OPSET = 11;
export const MAX_OPSET = 18;

/** `nodes` (netspec's opset-18 form) rewritten for `opset`; OpsetError when one has no form there. */
export function nodesForOpset(graph: Graph, nodes: WrittenNode[], opset: number): WrittenNode[] {
  if (!Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET) {
    throw new OpsetError(
      `opset ${opset} is not supported: netspec writes opsets ${MIN_OPSET} to ${MAX_OPSET}`,
    );
  }
  if (opset === DEFAULT_OPSET) return nodes;
  const out = nodes.flatMap((node) => nodeForOpset(graph, node, opset));
  return withoutUnusedConstants(graph, out);
}

function nodeForOpset(graph: Graph, node: WrittenNode, opset: number): WrittenNode[] {
  const where = `${node.op} (${node.origin || graph.name})`;
  const def = opDef(node.op);
  const needs = def.attrSince?.(node.attrs);
  if (needs && opset < needs[1]) {
    throw new OpsetError(`${where} with ${needs[0]} needs opset ${needs[1]} or later`);
  }
  if (opset >= def.since) return [node];
  if (!def.downgrade) throw new OpsetError(`${where} needs opset ${def.since} or later`);
  return def.downgrade(node, opset, graph);
}

/** Drops Constant nodes that only fed inputs rewritten into attributes (the axes of a Reduce). */
function withoutUnusedConstants(graph: Graph, nodes: WrittenNode[]): WrittenNode[] {
  const used = new Set([...nodes.flatMap((n) => n.inputs), ...graph.outputs.map((o) => o.name)]);
  return nodes.filter((n) => n.op !== 'Constant' || n.outputs.some((o) => used.has(o)));
}
