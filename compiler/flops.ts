// How much arithmetic a model's forward pass costs per image: what the runtime sizes its
// thread count by, what `npm run bench` divides throughput into, and what an editor shows on a layer.
import type { LayerInstance, Model } from './vocabulary/model.js';

/** Forward FLOPs per image of one layer: 2 per weight per output position (0 without a weight). */
export function layerFlops(layer: LayerInstance): number {
  const weight = layer.params.find((p) => p.name === 'weight');
  if (!weight) return 0;
  const positions = layer.outputShape.slice(2).reduce<number>((n, d) => n * (d as number), 1);
  return 2 * weight.shape.reduce((a, b) => a * b, 1) * positions;
}

/** Forward FLOPs per image: 2 per weight per output position of every weighted layer. */
export function forwardFlops(model: Model): number {
  return model.layers.reduce((sum, layer) => sum + layerFlops(layer), 0);
}
