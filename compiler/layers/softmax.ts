// Softmax and LogSoftmax along one dimension, lowered to the ONNX ops of the same names
// (opset 13+ semantics: one axis, not the flattened trailing block), or on a target without a
// LogSoftmax kernel to the stable form it computes.
import { formatShape } from '../ir/graph.js';
import { logSoftmax } from '../ops/activation.js';
import { onnx } from '../ops/index.js';
import { numberArg } from '../vocabulary/args.js';
import type { LayerDef } from '../vocabulary/defs.js';
import { noParams } from '../vocabulary/defs.js';

function softmaxLayer(
  name: string,
  op: typeof onnx.Softmax | typeof onnx.LogSoftmax,
  doc: string,
): LayerDef {
  return {
    name,
    doc,
    args: [{ name: 'dim', type: 'int', doc: 'the dimension to normalize along (batch is 0)' }],
    infer([input], args) {
      const dim = numberArg(args, 'dim');
      const rank = input.length;
      if (dim < -rank || dim >= rank)
        return {
          error: `${name}: dim ${dim} is out of range for a rank-${rank} input ${formatShape(input)} (valid: ${-rank} to ${rank - 1})`,
          arg: 'dim',
        };
      // Normalizing across examples would make each output depend on the rest of the batch.
      if (dim === 0 || dim === -rank)
        return { error: `${name}: dim ${dim} is the batch dimension`, arg: 'dim' };
      return { shape: input };
    },
    params: noParams,
    lower: (b, [x], _params, args) =>
      op === onnx.LogSoftmax
        ? logSoftmax(b, x, numberArg(args, 'dim'))
        : b.op(op, [x], { axis: numberArg(args, 'dim') }),
  };
}

export const Softmax = softmaxLayer(
  'Softmax',
  onnx.Softmax,
  'Rescales a dimension to probabilities e^a / Σ e^a (torch.nn.Softmax).',
);

export const LogSoftmax = softmaxLayer(
  'LogSoftmax',
  onnx.LogSoftmax,
  'Logarithm of the softmax along a dimension, computed stably (torch.nn.LogSoftmax).',
);
