// Where a compiled recipe's nodes would run: a node its target lacks a kernel for runs on the
// CPU instead, with copies to and from the device around it on every step. Each layer (or
// loss, or optimizer) that would do so is one warning at its place in the spec.
import type { Diagnostic } from '../../grammar/index.js';
import { diagnostic } from '../../grammar/index.js';
import type { Recipe } from '../vocabulary/model.js';
import { CODES } from '../codes.js';
import type { Graph } from '../ir/graph.js';
import type { Target } from '../targets.js';
import { fallbacks } from '../ops/support.js';

/** The spec construct a node origin names: a layer (`conv1/grad`), a parameter's layer, or the recipe. */
function constructOf(recipe: Recipe, origin: string) {
  const [head, rest] = origin.split('/');
  const path = head === 'optimizer' && rest ? rest.slice(0, rest.lastIndexOf('.')) : head;
  const layer = recipe.model.layers.find((node) => node.path === path);
  if (layer) return { what: `layer '${path}' (${layer.def.name})`, ...layer };
  return {
    what: `recipe '${recipe.name}' (${head || 'step'})`,
    file: recipe.file,
    span: recipe.span,
  };
}

/** One warning per construct with nodes `target` would hand to the CPU, in `graphs`. */
export function placementWarnings(recipe: Recipe, graphs: Graph[], target: Target): Diagnostic[] {
  const byConstruct = new Map<string, { at: ReturnType<typeof constructOf>; ops: Set<string> }>();
  for (const graph of graphs) {
    for (const { node, reason } of fallbacks(graph, target)) {
      const at = constructOf(recipe, node.origin);
      const entry = byConstruct.get(at.what) ?? { at, ops: new Set<string>() };
      entry.ops.add(`${node.op} (${reason})`);
      byConstruct.set(at.what, entry);
    }
  }
  const file = (at: { file?: string }) => at.file ?? recipe.file;
  return [...byConstruct.values()].map(({ at, ops }) =>
    diagnostic(
      CODES.cpuFallback,
      `on ${target}, ${at.what} would run ${[...ops].join(', ')} on the CPU, with copies to and from the device every step`,
      file(at),
      at.span,
      [],
      'warning',
    ),
  );
}
