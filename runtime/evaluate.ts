// Feeding a split to a compiled step: the loader's options for a recipe (drop_last, the
// transform block, training or not), and a whole split's loss and accuracy.
import type { Recipe } from '../compiler/index.js';
import type { BatchOptions } from './data/batches.js';
import { batches, epochOrder } from './data/batches.js';
import type { Split } from './data/dataset.js';
import type { ChannelStats } from './data/transforms/pipeline.js';
import { ort } from './session.js';
import type { Feeds } from './train-state.js';

/** How the loader prepares a split's batches: drop_last and the transform block (training or not). */
export function batchOptions(
  recipe: Recipe,
  stats: ChannelStats | undefined,
  training: boolean,
  epoch: number,
): BatchOptions {
  return {
    dropLast: training && recipe.dropLast,
    steps: recipe.transform?.steps,
    training,
    stats,
    seed: recipe.seed,
    epoch,
  };
}

/** A batch's labels as a graph takes them: int64, or int32 on a device that computes no int64. */
export function labelTensor(labels: BigInt64Array, type: 'int64' | 'int32'): ort.Tensor {
  if (type === 'int64') return new ort.Tensor('int64', labels, [labels.length]);
  return new ort.Tensor('int32', Int32Array.from(labels, Number), [labels.length]);
}

/** Loss and accuracy of the current parameters on a whole split, in large batches. */
export async function evaluate(
  session: ort.InferenceSession,
  params: Feeds,
  split: Split,
  imagesName: string,
  feeding: BatchOptions = {},
  labelType: 'int64' | 'int32' = 'int64',
): Promise<{ loss: number; accuracy: number }> {
  let lossSum = 0;
  let correct = 0;
  const order = epochOrder(split.count, false, 0, 0);
  for (const batch of batches(split, order, 1000, feeding)) {
    const out = await session.run({
      ...params,
      [imagesName]: new ort.Tensor('float32', batch.images, [batch.size, ...batch.shape]),
      labels: labelTensor(batch.labels, labelType),
    });
    lossSum += (out.loss.data as Float32Array)[0] * batch.size;
    correct += (out.correct.data as Float32Array)[0];
  }
  return { loss: lossSum / split.count, accuracy: correct / split.count };
}
