// The one layer registry: every layer a spec can name.
import { ReLU } from './activations.js';
import type { LayerDef } from './layer.js';
import { Linear } from './linear.js';
import { Flatten } from './reshaping.js';

export const LAYERS: ReadonlyMap<string, LayerDef> = new Map(
  [Linear, Flatten, ReLU].map((layer) => [layer.name, layer]),
);
