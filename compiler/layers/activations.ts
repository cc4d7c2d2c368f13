// Elementwise activations. Those with an ONNX op of the same meaning lower to it; SiLU, GELU
// and Softplus(β, threshold) are compositions, so every op they use has a gradient rule.
import type { GraphBuilder } from '../ir/builder.js';
import { onnx } from '../ops/index.js';
import { num } from '../vocabulary/values.js';
import { numberArg, stringArg } from '../vocabulary/args.js';
import type { LayerDef } from '../vocabulary/defs.js';
import { noParams } from '../vocabulary/defs.js';

/** An activation with no parameters: the output has the input's shape. */
function activation(
  name: string,
  doc: string,
  lower: LayerDef['lower'],
  args: LayerDef['args'] = [],
): LayerDef {
  return { name, doc, args, infer: ([input]) => ({ shape: input }), params: noParams, lower };
}

/** A string argument's default (args.ts has `int`, `num` and `bool`). */
const str = (v: string) => ({ t: 'str' as const, v });

/** Lowers to the ONNX op of the same meaning, which takes no attributes. */
const sameAs =
  (op: typeof onnx.Relu | typeof onnx.Sigmoid | typeof onnx.Tanh): LayerDef['lower'] =>
  (b, [x]) =>
    b.op(op, [x]);

export const ReLU = activation(
  'ReLU',
  'Rectified linear unit, max(a, 0) (torch.nn.ReLU).',
  sameAs(onnx.Relu),
);

/**
 * min(max(a, lo), hi) as two Wheres: the gradient passes where lo < a < hi, 0 on and beyond
 * the bounds, as torch's hardtanh_backward (ONNX Clip has no gradient rule here).
 */
function clamp(b: GraphBuilder, x: string, lo: number, hi: number): string {
  const upper = b.op(onnx.Where, [b.op(onnx.Less, [x, b.scalar(hi)]), x, b.scalar(hi)]);
  return b.op(onnx.Where, [b.op(onnx.Greater, [x, b.scalar(lo)]), upper, b.scalar(lo)]);
}

export const Hardtanh = activation(
  'Hardtanh',
  'Clamps a to [min_val, max_val] (torch.nn.Hardtanh; ONNX Clip imports as this).',
  (b, [x], _params, args) => clamp(b, x, numberArg(args, 'min_val'), numberArg(args, 'max_val')),
  [
    { name: 'min_val', type: 'number', default: num(-1), doc: 'the lower bound' },
    { name: 'max_val', type: 'number', default: num(1), doc: 'the upper bound' },
  ],
);

export const ReLU6 = activation('ReLU6', 'min(max(a, 0), 6) (torch.nn.ReLU6).', (b, [x]) =>
  clamp(b, x, 0, 6),
);

export const Hardsigmoid = activation(
  'Hardsigmoid',
  'relu6(a + 3) / 6, a piecewise-linear sigmoid (torch.nn.Hardsigmoid).',
  (b, [x]) => b.op(onnx.HardSigmoid, [x], { alpha: 1 / 6, beta: 0.5 }),
);

export const Hardswish = activation(
  'Hardswish',
  'a · relu6(a + 3) / 6 (torch.nn.Hardswish; MobileNetV3’s activation).',
  (b, [x]) => b.op(onnx.HardSwish, [x]),
);

export const Sigmoid = activation(
  'Sigmoid',
  'Logistic sigmoid 1 / (1 + e^-a) (torch.nn.Sigmoid).',
  sameAs(onnx.Sigmoid),
);

export const Tanh = activation('Tanh', 'Hyperbolic tangent (torch.nn.Tanh).', sameAs(onnx.Tanh));

export const LeakyReLU = activation(
  'LeakyReLU',
  'a for a > 0, negative_slope·a otherwise (torch.nn.LeakyReLU).',
  (b, [x], _params, args) =>
    b.op(onnx.LeakyRelu, [x], { alpha: numberArg(args, 'negative_slope') }),
  [{ name: 'negative_slope', type: 'number', default: num(0.01), doc: 'slope for a < 0' }],
);

export const ELU = activation(
  'ELU',
  'a for a > 0, alpha·(e^a − 1) otherwise (torch.nn.ELU).',
  (b, [x], _params, args) => b.op(onnx.Elu, [x], { alpha: numberArg(args, 'alpha') }),
  [{ name: 'alpha', type: 'number', default: num(1), doc: 'the value approached for a → −∞' }],
);

export const Softplus = activation(
  'Softplus',
  'Smooth ReLU log(1 + e^(beta·a)) / beta, linear above threshold (torch.nn.Softplus).',
  (b, [x], _params, args) => {
    const beta = numberArg(args, 'beta');
    const scaled = beta === 1 ? x : b.op(onnx.Mul, [x, b.scalar(beta)]);
    const smooth = b.op(onnx.Softplus, [scaled]);
    const soft = beta === 1 ? smooth : b.op(onnx.Div, [smooth, b.scalar(beta)]);
    // torch reverts to the identity where beta·a > threshold, for numerical stability.
    const linear = b.op(onnx.Greater, [scaled, b.scalar(numberArg(args, 'threshold'))]);
    return b.op(onnx.Where, [linear, x, soft]);
  },
  [
    { name: 'beta', type: 'number', default: num(1), doc: 'sharpness', above: 0 },
    {
      name: 'threshold',
      type: 'number',
      default: num(20),
      doc: 'above beta·a > threshold the output is a',
    },
  ],
);

/** x·σ(x). */
const silu: LayerDef['lower'] = (b, [x]) => b.op(onnx.Mul, [x, b.op(onnx.Sigmoid, [x])]);

export const SiLU = activation(
  'SiLU',
  'Sigmoid-weighted linear unit a·σ(a), also called Swish (torch.nn.SiLU).',
  silu,
);

export const Swish = activation('Swish', 'Another name for SiLU: a·σ(a) (torch.nn.SiLU).', silu);

const GELU_FORMS = ['none', 'tanh'];

/** 0.5·x·(1 + erf(x/√2)), or with the tanh approximation of erf as torch writes it. */
function gelu(b: GraphBuilder, x: string, approximate: string): string {
  const mul = (a: string, c: string) => b.op(onnx.Mul, [a, c]);
  let inner: string;
  if (approximate === 'tanh') {
    const cubic = b.op(onnx.Add, [x, mul(b.scalar(0.044715), mul(x, mul(x, x)))]);
    inner = b.op(onnx.Tanh, [mul(b.scalar(Math.sqrt(2 / Math.PI)), cubic)]);
  } else {
    inner = b.op(onnx.Erf, [mul(x, b.scalar(Math.SQRT1_2))]);
  }
  return mul(mul(x, b.scalar(0.5)), b.op(onnx.Add, [b.scalar(1), inner]));
}

export const GELU: LayerDef = {
  ...activation(
    'GELU',
    'Gaussian error linear unit a·Φ(a), exact (erf) or tanh-approximated (torch.nn.GELU).',
    (b, [x], _params, args) => gelu(b, x, stringArg(args, 'approximate')),
    [{ name: 'approximate', type: 'string', default: str('none'), doc: '"none" or "tanh"' }],
  ),
  infer([input], args) {
    const form = stringArg(args, 'approximate');
    if (!GELU_FORMS.includes(form))
      return {
        error: `GELU: approximate must be "none" or "tanh", found "${form}"`,
        arg: 'approximate',
      };
    return { shape: input };
  },
};
