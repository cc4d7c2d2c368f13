// The loss registry: each loss says what network output it accepts and how it is computed.
// Every loss returns the batch mean, as torch.nn's losses do with reduction='mean'. The
// regression-style losses (mse, l1, bce_with_logits) compare the outputs with the one-hot
// encoding of the class labels, so they train classifiers too.
import { formatShape, tensor } from './ir/graph.js';
import { logSoftmax } from './ops/activation.js';
import type { Shape } from './ir/graph.js';
import type { GraphBuilder } from './ir/builder.js';
import { reduceMean } from './ir/ops-helpers.js';
import { onnx } from './ops/index.js';
import { numberArg } from './vocabulary/args.js';
import { num } from './vocabulary/values.js';
import type { LossDef } from './vocabulary/defs.js';
import { registry } from './vocabulary/registry.js';

/** Every loss here scores C classes per example: the output must be [N, C], C = classes. */
function perClass(name: string, what: string) {
  return (output: Shape, classes: number | undefined): string | undefined => {
    if (output.length !== 2 || output[0] !== 'N')
      return `${name} needs ${what} shaped [N, classes], but the model outputs ${formatShape(output)}`;
    if (classes !== undefined && output[1] !== classes)
      return `${name}: the model outputs ${output[1]} ${what} per example, but the dataset has ${classes} classes`;
    return undefined;
  };
}

/**
 * labels[:, None] == arange(C) as floats, the labels int64 or (on a target that computes no
 * int64) int32: portable to every provider and float type.
 */
export function oneHot(b: GraphBuilder, labels: string, like: string): string {
  const classes = b.info(like).shape[1] as number;
  const column = b.op(onnx.Unsqueeze, [labels, b.int64s([1])]);
  const ids = Array.from({ length: classes }, (_, i) => i);
  const classIds =
    b.info(labels).dtype === 'int64'
      ? b.int64s(ids)
      : b.op(onnx.Constant, [], { value: tensor('int32', [classes], Int32Array.from(ids)) });
  return b.op(onnx.Cast, [b.op(onnx.Equal, [column, classIds])], { to: b.floatType });
}

/** The mean over every element (torch's reduction='mean' for elementwise losses). */
function meanOfAll(b: GraphBuilder, x: string): string {
  return b.op(onnx.ReduceMean, [x], { keepdims: 0 });
}

/** −mean over the batch of Σ_c target·logp: cross-entropy against a target distribution. */
function expectedNegLogLikelihood(b: GraphBuilder, logProbs: string, target: string): string {
  const perExample = b.reduceSum(b.op(onnx.Mul, [logProbs, target]), [1], false);
  return b.op(onnx.Neg, [reduceMean(b, perExample, [0], false)]);
}

const crossEntropy: LossDef = {
  name: 'cross_entropy',
  doc: 'Cross-entropy of softmax(logits) against class labels, averaged over the batch (torch.nn.CrossEntropyLoss); with label_smoothing ε the target is (1−ε)·onehot + ε/C.',
  args: [
    {
      name: 'label_smoothing',
      type: 'number',
      default: num(0),
      doc: 'mass ε spread uniformly over all classes in the target',
      min: 0,
      max: 1,
    },
  ],
  check: perClass('cross_entropy', 'logits'),
  build(b, logits, labels, args) {
    const smoothing = numberArg(args, 'label_smoothing');
    if (smoothing === 0 && b.runs(onnx.SoftmaxCrossEntropyLoss, [logits, labels], 2)) {
      // The fused op; its second output (log-probabilities) is kept for the gradient rule.
      const [loss] = b.opN(onnx.SoftmaxCrossEntropyLoss, [logits, labels], 2, {
        reduction: 'mean',
      });
      return loss;
    }
    const classes = b.info(logits).shape[1] as number;
    const hot = oneHot(b, labels, logits);
    const target =
      smoothing === 0
        ? hot
        : b.op(onnx.Add, [
            b.op(onnx.Mul, [hot, b.scalar(1 - smoothing)]),
            b.scalar(smoothing / classes),
          ]);
    return expectedNegLogLikelihood(b, logSoftmax(b, logits, 1), target);
  },
};

const nll: LossDef = {
  name: 'nll',
  doc: 'Negative log-likelihood of the labels, for a model that outputs log-probabilities (e.g. ending in LogSoftmax), averaged over the batch (torch.nn.NLLLoss).',
  args: [],
  check: perClass('nll', 'log-probabilities'),
  build: (b, logProbs, labels) =>
    expectedNegLogLikelihood(b, logProbs, oneHot(b, labels, logProbs)),
};

const mse: LossDef = {
  name: 'mse',
  doc: 'Mean squared error between the outputs and the one-hot labels, averaged over all N·C elements (torch.nn.MSELoss against F.one_hot(labels)).',
  args: [],
  check: perClass('mse', 'values'),
  build(b, outputs, labels) {
    const diff = b.op(onnx.Sub, [outputs, oneHot(b, labels, outputs)]);
    return meanOfAll(b, b.op(onnx.Mul, [diff, diff]));
  },
};

const l1: LossDef = {
  name: 'l1',
  doc: 'Mean absolute error between the outputs and the one-hot labels, averaged over all N·C elements (torch.nn.L1Loss against F.one_hot(labels)).',
  args: [],
  check: perClass('l1', 'values'),
  build(b, outputs, labels) {
    return meanOfAll(b, b.op(onnx.Abs, [b.op(onnx.Sub, [outputs, oneHot(b, labels, outputs)])]));
  },
};

const bceWithLogits: LossDef = {
  name: 'bce_with_logits',
  doc: 'Binary cross-entropy of sigmoid(logits) against the one-hot labels, each class scored independently, averaged over all N·C elements (torch.nn.BCEWithLogitsLoss against F.one_hot(labels)).',
  args: [],
  check: perClass('bce_with_logits', 'logits'),
  build(b, logits, labels) {
    // −[y·log σ(x) + (1−y)·log(1−σ(x))] = softplus(x) − x·y. onnxruntime's float64 Softplus
    // overflows, so softplus is written as torch writes it: max(x,0) + log(1 + e^(−|x|)),
    // with −|x| = min(x,0) − max(x,0), which also keeps the gradient σ(x) − y exact at x = 0.
    const positive = b.op(onnx.Relu, [logits]);
    const negative = b.op(onnx.Sub, [logits, positive]);
    const tail = b.op(onnx.Exp, [b.op(onnx.Sub, [negative, positive])]);
    const softplus = b.op(onnx.Add, [
      positive,
      b.op(onnx.Log, [b.op(onnx.Add, [b.scalar(1), tail])]),
    ]);
    const target = oneHot(b, labels, logits);
    return meanOfAll(b, b.op(onnx.Sub, [softplus, b.op(onnx.Mul, [logits, target])]));
  },
};

export const LOSSES = registry<LossDef>()({
  cross_entropy: crossEntropy,
  nll,
  mse,
  l1,
  bce_with_logits: bceWithLogits,
});
