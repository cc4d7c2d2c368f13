// Layer facts for the editor, read from the checked models: which layers a file's chains and
// surgery statements make, their shapes, parameter counts and FLOPs.
import type { LayerInstance, Model, Shape, Span } from '../../compiler/index.js';
import { layerFlops, showValue } from '../../compiler/index.js';
import type { Callee } from '../../compiler/index.js';
import type { Declaration } from '../../grammar/index.js';
import { forEachNode } from '../../grammar/index.js';
import type { Analysis } from './analysis.js';

/** Every checked model: the recipes' and the networks checked on their own (imported ones too). */
export function checkedModels(analysis: Analysis): Model[] {
  const spec = analysis.checked?.spec;
  if (spec === undefined) return [];
  return [...[...spec.recipes.values()].map((r) => r.model), ...spec.networks.values()];
}

/** The layers of a file: by the piece of text that makes them, and by declaration. */
export interface LayerGroups {
  /** By chain stage, `onnx(…)` source or surgery statement: a stage of a block used twice makes two. */
  bySpan: Map<Span, LayerInstance[]>;
  byDeclaration: Map<Declaration, LayerInstance[]>;
}

/**
 * The layers made by this file's text. The checker keeps the syntax tree's span objects, so a
 * layer's span tells which declaration made it (an index kept per declaration object, which the
 * parser keeps while an edit does not touch it).
 */
export function layerGroups(analysis: Analysis): LayerGroups {
  let groups = groupsCache.get(analysis);
  if (groups === undefined) {
    groups = groupLayers(analysis);
    groupsCache.set(analysis, groups);
  }
  return groups;
}

const groupsCache = new WeakMap<Analysis, LayerGroups>();
const declarationOf = new WeakMap<object, Declaration>();
const indexed = new WeakSet<Declaration>();

function groupLayers(analysis: Analysis): LayerGroups {
  const declarations = new Set(analysis.parsed.ast.declarations);
  for (const decl of declarations) {
    if (indexed.has(decl)) continue;
    forEachNode(decl, (node) => declarationOf.set(node.span, decl));
    indexed.add(decl);
  }
  const groups: LayerGroups = { bySpan: new Map(), byDeclaration: new Map() };
  const seen = new Set<string>();
  for (const model of checkedModels(analysis)) {
    for (const node of model.layers) {
      const decl = declarationOf.get(node.span);
      if (decl === undefined || !declarations.has(decl)) continue;
      // A network checked on its own and in a recipe with the same arguments is shown once.
      const key = `${node.span.start.offset}:${node.path}:${showShape(node.outputShape)}`;
      if (seen.has(key)) continue;
      seen.add(key);
      push(groups.bySpan, node.span, node);
      push(groups.byDeclaration, decl, node);
    }
  }
  return groups;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** The layers made by the innermost piece of this file's text holding `offset`. */
export function layersAt(analysis: Analysis, offset: number): LayerInstance[] {
  let best: { span: Span; layers: LayerInstance[] } | undefined;
  for (const [span, layers] of layerGroups(analysis).bySpan) {
    if (span.start.offset > offset || offset > span.end.offset) continue;
    const size = span.end.offset - span.start.offset;
    if (!best || size < best.span.end.offset - best.span.start.offset) best = { span, layers };
  }
  return best?.layers ?? [];
}

export function showShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

/** Trainable values only: buffers (running statistics) are not parameters. */
export function parameterCount(layer: LayerInstance): number {
  return layer.params
    .filter((p) => p.kind !== 'buffer')
    .reduce((sum, p) => sum + p.shape.reduce((a, b) => a * b, 1), 0);
}

export const count = (n: number) => n.toLocaleString('en-US');

/** `[N, 32, 26, 26] · 320`: shapes and parameter counts of the layers one stage makes. */
export function stageLabel(layers: readonly LayerInstance[]): string {
  const shapes = distinct(layers.map((l) => showShape(l.outputShape)));
  const params = distinct(layers.map((l) => count(parameterCount(l)))).filter((p) => p !== '0');
  const shown = shapes.length > 3 ? [...shapes.slice(0, 3), '…'] : shapes;
  const times = layers.length > 1 && shapes.length === 1 ? ` × ${layers.length}` : '';
  return [shown.join(' | ') + times, ...(params.length ? [params.join(' | ')] : [])].join(' · ');
}

/** Hover text for the layers of one stage: path, shapes, parameters and forward FLOPs of each. */
export function layerFacts(layers: readonly LayerInstance[]): string[] {
  return layers.slice(0, 4).map((l) => {
    const frozen = l.frozen ? ' (frozen)' : '';
    return (
      `\`${l.path}\`${frozen}: ${l.inputShapes.map(showShape).join(' + ')} → **${showShape(l.outputShape)}**, ` +
      `${count(parameterCount(l))} parameters, ${count(layerFlops(l))} FLOPs per example`
    );
  });
}

function distinct(items: string[]): string[] {
  return [...new Set(items)];
}

/** `SGD(lr = 0.001, momentum = 0, …)`: a callee with its arguments and defaults. */
export function signature(callee: Pick<Callee, 'name' | 'args'>): string {
  const args = callee.args.map((a) => (a.default ? `${a.name} = ${showValue(a.default)}` : a.name));
  return `${callee.name}(${args.join(', ')})`;
}

export { showValue };
