// torch.nn.MaxPool2d, AvgPool2d and AdaptiveAvgPool2d, lowered to ONNX MaxPool, AveragePool and
// GlobalAveragePool. ONNX pooling is emitted in floor mode only: PyTorch's ceil_mode becomes
// extra padding at the end, which computes the same windows and keeps the gradient rules simple.
import { tensor } from '../ir/graph.js';
import type { GraphBuilder } from '../ir/builder.js';
import type { Shape } from '../ir/graph.js';
import type { Pair } from './conv.js';
import { imageInput, outputLength, windowProblem } from './conv.js';
import { onnx } from '../ops/index.js';
import type { BoundArgs } from '../vocabulary/args.js';
import { boolArg, pairArg } from '../vocabulary/args.js';
import { AUTO, bool, int } from '../vocabulary/values.js';
import type { LayerDef, ShapeResult } from '../vocabulary/defs.js';
import { noParams } from '../vocabulary/defs.js';

interface PoolGeometry {
  hw: Pair;
  kernel: Pair;
  strides: Pair;
  padding: Pair;
  dilations: Pair;
  ceil: boolean;
  /** PyTorch's output size. */
  out: Pair;
  /** ONNX pads: PyTorch's padding plus, in ceil mode, what the last partial window needs. */
  pads: number[];
}

function geometry(layer: string, input: Shape, args: BoundArgs): PoolGeometry | ShapeResult {
  const image = imageInput(layer, input);
  if (typeof image === 'string') return { error: image };
  const kernel = pairArg(args, 'kernel_size');
  const strides = args.values.get('stride')?.t === 'auto' ? kernel : pairArg(args, 'stride');
  const padding = pairArg(args, 'padding');
  const dilations = args.values.has('dilation') ? pairArg(args, 'dilation') : ([1, 1] as Pair);
  const ceil = boolArg(args, 'ceil_mode');
  const extent = kernel.map((k, i) => dilations[i] * (k - 1) + 1);
  if (padding.some((p, i) => 2 * p > extent[i])) {
    const message = `${layer}: padding ${padding.join('×')} must be at most half the kernel ${extent.join('×')}, as in PyTorch`;
    return { error: message, arg: 'padding' };
  }
  const pads4 = [...padding, ...padding];
  const tooBig = windowProblem(layer, image.hw, kernel, pads4, dilations);
  if (tooBig) return { error: tooBig, arg: 'kernel_size' };
  const out = image.hw.map((d, i) =>
    outputLength(d, kernel[i], strides[i], padding[i], padding[i], dilations[i], ceil),
  ) as Pair;
  // The end padding that floor mode needs to produce PyTorch's ceil-mode output size.
  const extra = out.map((o, i) =>
    Math.max(0, (o - 1) * strides[i] + extent[i] - (image.hw[i] + 2 * padding[i])),
  );
  const pads = [...padding, padding[0] + extra[0], padding[1] + extra[1]];
  return { hw: image.hw, kernel, strides, padding, dilations, ceil, out, pads };
}

function inferPool(layer: string): LayerDef['infer'] {
  return ([input], args) => {
    const g = geometry(layer, input, args);
    if ('error' in g || 'shape' in g) return g;
    return { shape: [input[0], input[1], ...g.out] };
  };
}

const windowArgs = (what: string): LayerDef['args'] => [
  { name: 'kernel_size', type: 'pair', doc: `size of the ${what} window: k or [kh, kw]`, min: 1 },
  {
    name: 'stride',
    type: 'pair',
    default: AUTO,
    doc: 'stride of the window; defaults to kernel_size',
    min: 1,
  },
  { name: 'padding', type: 'pair', default: int(0), doc: 'implicit padding on both sides', min: 0 },
];

const ceilArg: LayerDef['args'][number] = {
  name: 'ceil_mode',
  type: 'bool',
  default: bool(false),
  doc: 'round the output size up rather than down',
};

/**
 * torch.nn.MaxPool2d. In training the Indices output carries the gradient back, where the
 * target computes it; elsewhere the gradient finds each window's maximum itself.
 */
export const MaxPool2d: LayerDef = {
  name: 'MaxPool2d',
  doc: 'Takes the maximum over sliding 2-D windows (torch.nn.MaxPool2d).',
  args: [
    ...windowArgs('max'),
    { name: 'dilation', type: 'pair', default: int(1), doc: 'spacing of window taps', min: 1 },
    ceilArg,
  ],
  infer: inferPool('MaxPool2d'),
  params: noParams,
  lower(b, [x], _params, args, ctx) {
    const g = geometry('MaxPool2d', b.info(x).shape, args) as PoolGeometry;
    const attrs = {
      kernel_shape: g.kernel,
      strides: g.strides,
      pads: g.pads,
      dilations: g.dilations,
    };
    const indices =
      (ctx.mode === 'train' || ctx.differentiated) && b.runs(onnx.MaxPool, [x], 2, attrs);
    return b.opN(onnx.MaxPool, [x], indices ? 2 : 1, attrs)[0];
  },
};

/** torch.nn.AvgPool2d (divisor_override is not supported). */
export const AvgPool2d: LayerDef = {
  name: 'AvgPool2d',
  doc: 'Averages over sliding 2-D windows (torch.nn.AvgPool2d).',
  args: [
    ...windowArgs('average'),
    ceilArg,
    {
      name: 'count_include_pad',
      type: 'bool',
      default: bool(true),
      doc: 'count the zero padding in the averaging divisor',
    },
  ],
  infer: inferPool('AvgPool2d'),
  params: noParams,
  lower(b, [x], _params, args) {
    const g = geometry('AvgPool2d', b.info(x).shape, args) as PoolGeometry;
    const includePad = boolArg(args, 'count_include_pad');
    const attrs = { kernel_shape: g.kernel, strides: g.strides, pads: g.pads };
    const partial = g.pads[2] > g.padding[0] || g.pads[3] > g.padding[1];
    if (!includePad || !partial)
      return b.op(onnx.AveragePool, [x], { ...attrs, count_include_pad: includePad ? 1 : 0 });
    // Ceil mode's partial last windows: PyTorch divides by the window clipped to the padded
    // input. Average the real pixels, then rescale by (real pixels / PyTorch's divisor).
    const mean = b.op(onnx.AveragePool, [x], { ...attrs, count_include_pad: 0 });
    return b.op(onnx.Mul, [mean, rescale(b, g)]);
  },
};

/** Per output position: pixels inside the input ÷ pixels inside the padded input (PyTorch's divisor). */
function rescale(b: GraphBuilder, g: PoolGeometry): string {
  const [ho, wo] = g.out;
  const data = b.floatType === 'float64' ? new Float64Array(ho * wo) : new Float32Array(ho * wo);
  const clip = (o: number, i: number, lo: number, hi: number) => {
    const start = o * g.strides[i] - g.padding[i];
    return Math.min(start + g.kernel[i], hi) - Math.max(start, lo);
  };
  for (let r = 0; r < ho; r++) {
    for (let c = 0; c < wo; c++) {
      const real = clip(r, 0, 0, g.hw[0]) * clip(c, 1, 0, g.hw[1]);
      const padded =
        clip(r, 0, -g.padding[0], g.hw[0] + g.padding[0]) *
        clip(c, 1, -g.padding[1], g.hw[1] + g.padding[1]);
      data[r * wo + c] = real / padded;
    }
  }
  return b.op(onnx.Constant, [], { value: tensor(b.floatType, [ho, wo], data) });
}

/** torch.nn.AdaptiveAvgPool2d, for output sizes that divide the input (1 is global pooling). */
export const AdaptiveAvgPool2d: LayerDef = {
  name: 'AdaptiveAvgPool2d',
  doc: 'Averages over windows chosen to give a fixed output size (torch.nn.AdaptiveAvgPool2d).',
  args: [{ name: 'output_size', type: 'pair', doc: 'output size: s or [sh, sw]', min: 1 }],
  infer([input], args) {
    const image = imageInput('AdaptiveAvgPool2d', input);
    if (typeof image === 'string') return { error: image };
    const out = pairArg(args, 'output_size');
    if (out.some((o, i) => image.hw[i] % o !== 0)) {
      const message = `AdaptiveAvgPool2d: output size ${out.join('×')} does not divide the input ${image.hw.join('×')}; netspec supports evenly dividing sizes only`;
      return { error: message, arg: 'output_size' };
    }
    return { shape: [input[0], input[1], ...out] };
  },
  params: noParams,
  lower(b, [x], _params, args) {
    const [h, w] = b.info(x).shape.slice(2) as Pair;
    const out = pairArg(args, 'output_size');
    if (out[0] === 1 && out[1] === 1) return b.op(onnx.GlobalAveragePool, [x]);
    const kernel = [h / out[0], w / out[1]];
    return b.op(onnx.AveragePool, [x], {
      kernel_shape: kernel,
      strides: kernel,
      pads: [0, 0, 0, 0],
    });
  },
};
