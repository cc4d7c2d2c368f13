import { numberArg } from './vocabulary/args.js';
import { num } from './vocabulary/values.js';
import type { InitSpec } from './vocabulary/defs.js';
import type { InitializerDef } from './vocabulary/defs.js';
import type { InitChoice } from './vocabulary/model.js';
import { registry } from './vocabulary/registry.js';
// The `init =` registry: weight initialization schemes as torch.nn.init defines them, applied to
// the `weight` of Conv and Linear layers (biases start at zero under a chosen scheme; norm layers
// keep their defaults). Fans follow torch.nn.init._calculate_fan_in_and_fan_out.

/** torch's fan_in, fan_out: dim 1 and dim 0, each times the receptive field (kernel) size. */
export function fans(shape: number[]): { fanIn: number; fanOut: number } {
  if (shape.length < 2) throw new Error('fan in and fan out need at least 2 dimensions');
  const receptive = shape.slice(2).reduce((n, d) => n * d, 1);
  return { fanIn: shape[1] * receptive, fanOut: shape[0] * receptive };
}

const xavierStd = (s: number[]) => {
  const { fanIn, fanOut } = fans(s);
  return Math.sqrt(2 / (fanIn + fanOut));
};
// kaiming with mode fan_in and nonlinearity relu: gain √2, std = gain / √fan_in.
const heStd = (s: number[]) => Math.SQRT2 / Math.sqrt(fans(s).fanIn);

const xavierUniform = (s: number[]): InitSpec => ({
  kind: 'uniform',
  bound: Math.sqrt(3) * xavierStd(s),
});
const kaimingUniform = (s: number[]): InitSpec => ({
  kind: 'uniform',
  bound: Math.sqrt(3) * heStd(s),
});

export const INITIALIZERS = registry<InitializerDef>()({
  glorot: {
    name: 'glorot',
    doc: 'xavier_uniform: U(±√(6/(fan_in+fan_out)))',
    args: [],
    spec: xavierUniform,
  },
  xavier_uniform: {
    name: 'xavier_uniform',
    doc: 'U(±√(6/(fan_in+fan_out)))',
    args: [],
    spec: xavierUniform,
  },
  xavier_normal: {
    name: 'xavier_normal',
    doc: 'N(0, 2/(fan_in+fan_out))',
    args: [],
    spec: (s) => ({ kind: 'normal', std: xavierStd(s) }),
  },
  he: {
    name: 'he',
    doc: 'kaiming_uniform (relu, fan_in): U(±√(6/fan_in))',
    args: [],
    spec: kaimingUniform,
  },
  kaiming_uniform: {
    name: 'kaiming_uniform',
    doc: 'U(±√(6/fan_in)) (relu, fan_in)',
    args: [],
    spec: kaimingUniform,
  },
  kaiming_normal: {
    name: 'kaiming_normal',
    doc: 'N(0, 2/fan_in) (relu, fan_in)',
    args: [],
    spec: (s) => ({ kind: 'normal', std: heStd(s) }),
  },
  normal: {
    name: 'normal',
    doc: 'N(0, std²)',
    args: [{ name: 'std', type: 'number', default: num(0.01), doc: 'standard deviation', min: 0 }],
    spec: (_s, a) => ({ kind: 'normal', std: numberArg(a, 'std') }),
  },
  uniform: {
    name: 'uniform',
    doc: 'U(a, b)',
    args: [
      { name: 'a', type: 'number', default: num(0), doc: 'lower bound' },
      { name: 'b', type: 'number', default: num(1), doc: 'upper bound' },
    ],
    spec: (_s, a) => ({ kind: 'range', low: numberArg(a, 'a'), high: numberArg(a, 'b') }),
  },
  zeros: { name: 'zeros', doc: 'all 0', args: [], spec: () => ({ kind: 'constant', value: 0 }) },
  ones: { name: 'ones', doc: 'all 1', args: [], spec: () => ({ kind: 'constant', value: 1 }) },
  lsuv: {
    name: 'lsuv',
    doc:
      'layer-sequential unit variance (Mishkin & Matas, 2016, without the orthogonal start): he, ' +
      "then before a fresh run's first step each Conv/Linear weight, in order, is multiplied by " +
      "1/√variance of the layer's output on the first training batch until |variance − 1| < 0.1 " +
      '(at most 10 times); biases stay 0',
    args: [],
    spec: kaimingUniform,
  },
});

/** Layers whose `weight` a chosen scheme replaces (torch.nn.init is applied to these). */
const WEIGHTED = /^(Linear|Conv[123]d|ConvTranspose[123]d)$/;

/**
 * The distribution of one parameter under a chosen scheme, or undefined to keep the layer's
 * default (norm layers, buffers, other layers).
 */
export function chosenInit(
  choice: InitChoice,
  layer: string,
  param: string,
  shape: number[],
): InitSpec | { kind: 'range'; low: number; high: number } | undefined {
  if (!WEIGHTED.test(layer)) return undefined;
  if (param === 'bias') return { kind: 'constant', value: 0 };
  if (param !== 'weight') return undefined;
  return INITIALIZERS.get(choice.name)!.spec(shape, choice.args);
}

/**
 * LSUV's per-layer factor: the weights of a layer whose output (on a data batch) has variance
 * `variance` are multiplied by 1/√variance, so the output variance becomes 1. Returns the
 * rescaled copy (an unchanged copy for a variance that is 0 or not a number); runtime/lsuv.ts
 * repeats forward → measure → rescale layer by layer, in order, until |variance − 1| < 0.1 or
 * 10 rescales (Mishkin & Matas, 2016).
 */
export function lsuvScale(values: Float32Array, variance: number): Float32Array {
  if (!(variance > 0)) return Float32Array.from(values);
  const factor = 1 / Math.sqrt(variance);
  return values.map((v) => v * factor);
}
