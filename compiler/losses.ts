// The loss registry: each loss says what network output it accepts and how it is computed.
import type { ArgSpec, BoundArgs } from './check/args.js';
import { formatShape } from './ir/graph.js';
import type { Shape } from './ir/graph.js';
import type { GraphBuilder } from './ir/builder.js';

export interface LossDef {
  name: string;
  doc: string;
  /** torch.nn's argument names and defaults: `cross_entropy(label_smoothing: 0.1)`. */
  args: ArgSpec[];
  /** What is wrong with using this loss on `output` for `classes` classes, if anything. */
  check(output: Shape, classes: number | undefined): string | undefined;
  /** Emits the mean loss over the batch; `labels` are int64 class indices [N]. */
  build(b: GraphBuilder, logits: string, labels: string, args: BoundArgs): string;
}

const crossEntropy: LossDef = {
  name: 'cross_entropy',
  doc: 'Cross-entropy of softmax(logits) against class labels, averaged over the batch (torch.nn.CrossEntropyLoss); the negative log-likelihood of the labels.',
  args: [],
  check(output, classes) {
    if (output.length !== 2)
      return `cross_entropy needs [N, classes] logits, but the model outputs ${formatShape(output)}`;
    if (classes !== undefined && output[1] !== classes) {
      return `cross_entropy: the model outputs ${output[1]} scores per example, but the dataset has ${classes} classes`;
    }
    return undefined;
  },
  build(b, logits, labels) {
    // The second output (log-probabilities) is kept for the gradient rule.
    const [loss] = b.opN('SoftmaxCrossEntropyLoss', [logits, labels], 2, { reduction: 'mean' });
    return loss;
  },
};

export const LOSSES: ReadonlyMap<string, LossDef> = new Map([[crossEntropy.name, crossEntropy]]);
