// Layer facts for the editor, read from the checked models and the layer registry.
import type { LayerDef, LayerInstance, Shape } from '../../compiler/index.js';
import { showValue } from '../../compiler/index.js';
import type { Analysis } from './analysis.js';
import { contains } from './positions.js';

/** Every checked layer use: from the recipes' models and the standalone networks. */
export function layerInstances(analysis: Analysis): LayerInstance[] {
  const spec = analysis.checked?.spec;
  if (spec === undefined) return [];
  const models = [...[...spec.recipes.values()].map((r) => r.model), ...spec.networks.values()];
  return models.flatMap((m) => m.layers);
}

/** The innermost layer use whose span holds `offset`, in this file. */
export function layerAt(analysis: Analysis, offset: number): LayerInstance | undefined {
  const hits = layerInstances(analysis).filter(
    (l) => contains(l.span, offset) && l.span.end.offset > l.span.start.offset,
  );
  const size = (l: LayerInstance) => l.span.end.offset - l.span.start.offset;
  return hits.sort((a, b) => size(a) - size(b))[0];
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

export { showValue };

export function signature(def: LayerDef): string {
  const args = def.args.map((a) => (a.default ? `${a.name} = ${showValue(a.default)}` : a.name));
  return `${def.name}(${args.join(', ')})`;
}
