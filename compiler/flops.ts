import type { Model } from './vocabulary/model.js';
// How much arithmetic a model's forward pass costs per image: what the runtime sizes its
// thread count by and what `npm run bench` divides throughput into.

/** Forward FLOPs per image: 2 per weight per output position of every weighted layer. */
export function forwardFlops(model: Model): number {
  let flops = 0;
  for (const layer of model.layers) {
    const weight = layer.params.find((p) => p.name === 'weight');
    if (!weight) continue;
    const positions = layer.outputShape.slice(2).reduce<number>((n, d) => n * (d as number), 1);
    flops += 2 * weight.shape.reduce((a, b) => a * b, 1) * positions;
  }
  return flops;
}
