// Lowers a checked model to IR: each layer instance emits its nodes under its module path.
import type { Model } from '../check/model.js';
import type { GraphBuilder } from '../ir/builder.js';

/**
 * Emits the forward computation of `model` reading its input from `input`, with each parameter
 * supplied by `param(fullName)` (a graph input when trained, an initializer when exported).
 */
export function lowerModel(
  b: GraphBuilder,
  model: Model,
  input: string,
  param: (name: string) => string,
): string {
  const values = new Map<string, string>([[model.input.name, input]]);
  for (const layer of model.layers) {
    const params: Record<string, string> = {};
    for (const p of layer.params) params[p.name] = param(`${layer.path}.${p.name}`);
    const x = values.get(layer.input)!;
    values.set(
      layer.path,
      b.within(layer.path, () => layer.def.lower(b, x, params, layer.args)),
    );
  }
  return values.get(model.output)!;
}
