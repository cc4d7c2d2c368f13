import { formatShape } from '../ir/graph.js';
import { onnx } from '../ops/index.js';
import { AUTO, bool } from '../vocabulary/values.js';
import { boolArg, numberArg, sizeArg } from '../vocabulary/args.js';
import type { LayerDef } from '../vocabulary/defs.js';

/** torch.nn.Linear: y = x·Wᵀ + b, lowered to one Gemm. */
export const Linear: LayerDef = {
  name: 'Linear',
  doc: 'Applies an affine map y = x·Wᵀ + b to the last dimension (torch.nn.Linear).',
  args: [
    {
      name: 'in_features',
      type: 'size',
      default: AUTO,
      doc: 'size of each input sample; `auto` infers it',
      min: 1,
    },
    { name: 'out_features', type: 'int', doc: 'size of each output sample', min: 1 },
    { name: 'bias', type: 'bool', default: bool(true), doc: 'whether to learn an additive bias' },
  ],
  infer([input], args) {
    if (input.length !== 2) {
      return {
        error: `Linear expects a [N, features] input, found ${formatShape(input)}; add Flatten before it`,
      };
    }
    const features = input[1];
    const declared = sizeArg(args, 'in_features');
    if (declared !== undefined && declared !== features) {
      return {
        error: `Linear expects ${declared} input features, but its input has ${features} (shape ${formatShape(input)})`,
        arg: 'in_features',
      };
    }
    return { shape: [input[0], numberArg(args, 'out_features')] };
  },
  params([input], args) {
    const inFeatures = input[1] as number;
    const out = numberArg(args, 'out_features');
    // PyTorch: kaiming_uniform(a=√5) for W and U(±1/√in) for b, i.e. both U(±1/√in).
    const init = { kind: 'uniform', bound: 1 / Math.sqrt(inFeatures) } as const;
    const weight = { name: 'weight', shape: [out, inFeatures], init };
    return boolArg(args, 'bias') ? [weight, { name: 'bias', shape: [out], init }] : [weight];
  },
  lower(b, [x], params) {
    const inputs = params.bias ? [x, params.weight, params.bias] : [x, params.weight];
    return b.op(onnx.Gemm, inputs, { transB: 1 });
  },
};
