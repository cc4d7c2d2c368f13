// The fused softmax cross-entropy loss (cross_entropy): the mean over the batch of
// −log softmax(scores)[label], with log softmax as its second output.
import type { Shape } from '../ir/graph.js';
import type { Gradients } from './op.js';
import { defineOp, fail, NO_WEBGPU_KERNEL } from './op.js';
import { onnx } from './index.js';

export const SoftmaxCrossEntropyLoss = defineOp({
  name: 'SoftmaxCrossEntropyLoss',
  doc: 'softmax cross-entropy of scores [N, C] against int64 labels [N]; log_prob as output 2',
  inputs: ['scores', 'labels'],
  indexInputs: ['labels'],
  outputs: ['output', 'log_prob?'],
  attrs: { reduction: 'string' },
  shape: ([scores, labels], attrs) => {
    if (scores.shape.length !== 2) fail('SoftmaxCrossEntropyLoss: scores must be [N, C]');
    if (labels.shape.length !== 1) fail('SoftmaxCrossEntropyLoss: labels must be [N]');
    const lossShape: Shape = (attrs.reduction ?? 'mean') === 'none' ? [scores.shape[0]] : [];
    return [
      { dtype: scores.dtype, shape: lossShape },
      { dtype: scores.dtype, shape: scores.shape },
    ];
  },
  /** mean softmax cross-entropy: ∂/∂scores = (softmax(scores) − onehot(labels)) / N. */
  gradient: (b, node, [dLoss]): Gradients => {
    const [scores, labels] = node.inputs;
    const logProb = node.outputs[1];
    if (node.attrs.reduction !== 'mean')
      throw new Error('SoftmaxCrossEntropyLoss: only the mean reduction has a gradient rule');
    const classes = b.info(scores).shape[1] as number;
    // One-hot as labels[:, None] == arange(C): portable to every provider and float type.
    const column = b.op(onnx.Unsqueeze, [labels, b.int64s([1])]);
    const classIds = b.int64s(Array.from({ length: classes }, (_, i) => i));
    const oneHot = b.op(onnx.Cast, [b.op(onnx.Equal, [column, classIds])], { to: b.floatType });
    const batch = b.op(onnx.Gather, [b.op(onnx.Shape, [scores]), b.scalar(0, 'int64')], {
      axis: 0,
    });
    const n = b.op(onnx.Cast, [batch], { to: b.floatType });
    const diff = b.op(onnx.Sub, [b.op(onnx.Exp, [logProb]), oneHot]);
    return [b.op(onnx.Mul, [diff, b.op(onnx.Div, [dLoss!, n])]), undefined];
  },
  since: 13,
  webgpu: NO_WEBGPU_KERNEL,
  cuda: true,
});
