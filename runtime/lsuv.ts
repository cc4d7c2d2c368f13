// The runtime half of `init = lsuv` (layer-sequential unit variance, Mishkin & Matas 2016,
// "All you need is a good init"), without the orthogonal pre-initialization: the weights start
// from `he`, then, before the first step of a fresh run, each Conv/Linear layer in evaluation
// order is rescaled until its output on the run's first minibatch has unit variance. Later
// layers see the earlier layers' rescaled outputs, which is why the visit is sequential.
import type { ProbeLayer, Recipe } from '../compiler/index.js';
import { compileProbe, lsuvLayers, lsuvScale } from '../compiler/index.js';
import type { Batch } from './data/batches.js';
import { batches, epochOrder } from './data/batches.js';
import type { Split } from './data/dataset.js';
import type { ChannelStats } from './data/transforms/pipeline.js';
import type { SessionOptions } from './session.js';
import { createSession, ort } from './session.js';
import type { Feeds } from './train-state.js';

/** Stop rescaling a layer once |variance − 1| is below this… */
export const LSUV_TOLERANCE = 0.1;
/** …or after this many rescales (the paper's T_max). */
export const LSUV_MAX_RESCALES = 10;

export interface LsuvLayerResult {
  /** The layer's module path (`linear1`). */
  layer: string;
  /**
   * Its output variance on the batch with its drawn weights (the layers before it already
   * rescaled), and after rescaling.
   */
  before: number;
  after: number;
  /** Rescales applied: 0 when the drawn weights were already within tolerance. */
  rescales: number;
}

export interface LsuvOptions extends SessionOptions {
  /** Called once, after LSUV, with every rescaled layer's result (in visiting order). */
  onLsuv?: (layers: LsuvLayerResult[]) => void;
}

/**
 * The minibatch the training loop's first step gets: epoch 1's seeded order and the training
 * transforms with that epoch's per-example streams, so LSUV is reproducible from the seed.
 */
export function firstBatch(recipe: Recipe, split: Split, stats?: ChannelStats): Batch {
  const order = epochOrder(split.count, recipe.shuffle, recipe.seed, 1);
  const head = order.subarray(0, Math.min(recipe.batch, order.length));
  const options = {
    steps: recipe.transform?.steps,
    training: true,
    stats,
    seed: recipe.seed,
    epoch: 1,
  };
  const [batch] = batches(split, head, recipe.batch, options);
  if (!batch) throw new Error('LSUV needs at least one training example');
  return batch;
}

/** Population variance of every element (batch, channels and positions together), in float64. */
export function variance(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  const mean = sum / values.length;
  let squares = 0;
  for (let i = 0; i < values.length; i++) squares += (values[i] - mean) ** 2;
  return squares / values.length;
}

/**
 * Rescales the weights in `state` (the train step's feeds, parameters by name) layer by layer
 * and returns the new state. Only weights change: biases are left as drawn (zero under
 * `init = lsuv`, as in the paper), so a layer's output scales exactly with its weight and one
 * rescale normally suffices; the loop and its tolerance cover the cases where it does not (a
 * variance that float32 rounding leaves just outside, a non-zero bias).
 */
export async function lsuvInitialize(
  recipe: Recipe,
  split: Split,
  stats: ChannelStats | undefined,
  state: Feeds,
  options: SessionOptions,
): Promise<{ state: Feeds; layers: LsuvLayerResult[] }> {
  if (lsuvLayers(recipe.model).length === 0) return { state, layers: [] };
  const probe = compileProbe(recipe);
  const session = await createSession(probe.onnx, options);
  const batch = firstBatch(recipe, split, stats);
  const feeds: Feeds = {};
  for (const input of probe.manifest.inputs) {
    if (input.role.kind === 'images') {
      feeds[input.name] = new ort.Tensor('float32', batch.images, [batch.size, ...batch.shape]);
    } else {
      const tensor = state[input.name];
      if (!tensor) throw new Error(`LSUV: the training state has no '${input.name}'`);
      feeds[input.name] = tensor;
    }
  }
  const measure = async (layer: ProbeLayer) => {
    const out = await session.run(feeds, [layer.output]);
    return variance(out[layer.output].data as Float32Array);
  };
  const layers: LsuvLayerResult[] = [];
  for (const layer of probe.manifest.layers) {
    const before = await measure(layer);
    let current = before;
    let rescales = 0;
    // A dead layer (variance 0) or a diverged one cannot be rescaled to unit variance.
    while (
      Math.abs(current - 1) >= LSUV_TOLERANCE &&
      rescales < LSUV_MAX_RESCALES &&
      current > 0 &&
      Number.isFinite(current)
    ) {
      const weight = feeds[layer.weight];
      const scaled = lsuvScale(weight.data as Float32Array, current);
      feeds[layer.weight] = new ort.Tensor('float32', scaled, weight.dims.slice());
      rescales++;
      current = await measure(layer);
    }
    layers.push({ layer: layer.layer, before, after: current, rescales });
  }
  await session.release();
  const next: Feeds = { ...state };
  for (const layer of probe.manifest.layers) next[layer.weight] = feeds[layer.weight];
  return { state: next, layers };
}
