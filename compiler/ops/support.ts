// Whether a target runs a node natively: the op's verdict for that device (its definition) and,
// on a device that computes no int64, whether the node computes with int64 values. A node that
// a device does not run falls back to the CPU, with copies to and from the device around it.
import type { Graph, ValueInfo } from '../ir/graph.js';
import type { Target } from '../targets.js';
import { computesInt64 } from '../targets.js';
import { opDef } from './index.js';
import type { OpDef, OpNode } from './op.js';

/** true, or why `target` would not run `node` natively. */
export function support(
  target: Target,
  node: OpNode,
  typeOf: (value: string) => ValueInfo,
): true | string {
  if (target === 'cpu') return true;
  const def = opDef(node.op);
  const verdict = def[target];
  const own = typeof verdict === 'function' ? verdict(node, typeOf) : verdict;
  if (own !== true || computesInt64(target)) return own;
  const operand = int64Operand(def, node, typeOf);
  return operand === undefined ? true : `${target} computes no int64 (${node.op}'s ${operand})`;
}

/** The name of an input of `node` that is int64 but not a shape, axes or indices. */
function int64Operand(def: OpDef, node: OpNode, typeOf: (value: string) => ValueInfo) {
  const names = def.inputs.map((n) => n.replace(/[?]$|\.\.\.$/, ''));
  const nameAt = (k: number) => names[Math.min(k, names.length - 1)];
  const k = node.inputs.findIndex(
    (value, i) =>
      value !== '' && !def.indexInputs?.includes(nameAt(i)) && typeOf(value).dtype === 'int64',
  );
  return k < 0 ? undefined : nameAt(k);
}

export interface Fallback {
  node: OpNode;
  reason: string;
}

/** The nodes of `graph` that `target` would hand to the CPU, and why. */
export function fallbacks(graph: Graph, target: Target): Fallback[] {
  const typeOf = (value: string) => {
    const info = graph.values.get(value);
    if (!info) throw new Error(`IR value '${value}' does not exist`);
    return info;
  };
  const found: Fallback[] = [];
  for (const node of graph.nodes) {
    const reason = support(target, node, typeOf);
    if (reason !== true) found.push({ node, reason });
  }
  return found;
}
