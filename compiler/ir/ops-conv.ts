// Shape rules for the convolution and pooling ops and the ops their gradients are made of:
// Conv, ConvTranspose, MaxPool (with its Indices output), AveragePool, GlobalAveragePool,
// ScatterElements and ConstantOfShape. Spatial ops are 2-D here (NCHW), the only rank netspec
// emits; `pads` are ONNX's [top, left, bottom, right]. Pooling is always emitted in floor mode:
// the layers turn PyTorch's ceil_mode into extra end padding, so ONNX and PyTorch agree.
import type { AttrValue, DType, Shape, ValueInfo } from './graph.js';
import { isTensor, sameShape } from './graph.js';
import { ShapeError } from './ops.js';

type OutputType = { dtype: DType; shape: Shape };
type Attrs = Record<string, AttrValue>;
type ShapeRule = (inputs: ValueInfo[], attrs: Attrs) => OutputType[];

function fail(message: string): never {
  throw new ShapeError(message);
}

function ints(attrs: Attrs, name: string, fallback: number[]): number[] {
  const v = attrs[name];
  return Array.isArray(v) ? v : fallback;
}

/** A static [N, C, H, W] operand. */
function nchw(op: string, x: ValueInfo): [N: Shape[0], C: number, H: number, W: number] {
  const [n, c, h, w] = x.shape;
  if (x.shape.length !== 4 || [c, h, w].some((d) => typeof d !== 'number'))
    fail(`${op}: expects a static [N, C, H, W] input, found [${x.shape.join(', ')}]`);
  return [n, c as number, h as number, w as number];
}

/** Floor-mode output length of a sliding window along one axis. */
export function windowCount(
  size: number,
  kernel: number,
  stride: number,
  padBegin: number,
  padEnd: number,
  dilation = 1,
): number {
  return Math.floor((size + padBegin + padEnd - dilation * (kernel - 1) - 1) / stride) + 1;
}

interface Window {
  kernel: number[];
  strides: number[];
  pads: number[];
  dilations: number[];
}

function window(attrs: Attrs, kernel: number[]): Window {
  return {
    kernel,
    strides: ints(attrs, 'strides', [1, 1]),
    pads: ints(attrs, 'pads', [0, 0, 0, 0]),
    dilations: ints(attrs, 'dilations', [1, 1]),
  };
}

function slide(op: string, h: number, w: number, win: Window): [number, number] {
  const out = [h, w].map((size, i) =>
    windowCount(
      size,
      win.kernel[i],
      win.strides[i],
      win.pads[i],
      win.pads[i + 2],
      win.dilations[i],
    ),
  );
  if (out.some((d) => d < 1)) fail(`${op}: the window is larger than the padded input ${h}×${w}`);
  return out as [number, number];
}

function noCeilMode(op: string, attrs: Attrs): void {
  if (attrs['ceil_mode']) fail(`${op}: netspec emits floor mode only (ceil_mode becomes padding)`);
}

const conv: ShapeRule = ([x, w], attrs) => {
  const [n, c, h, width] = nchw('Conv', x);
  const group = typeof attrs['group'] === 'number' ? attrs['group'] : 1;
  const [o, cg, kh, kw] = w.shape as number[];
  if (cg * group !== c) fail(`Conv: weight expects ${cg}×${group} input channels, input has ${c}`);
  const [ho, wo] = slide('Conv', h, width, window(attrs, [kh, kw]));
  return [{ dtype: x.dtype, shape: [n, o, ho, wo] }];
};

/** out = stride·(in − 1) + output_padding + dilation·(k − 1) + 1 − pads. */
const convTranspose: ShapeRule = ([x, w], attrs) => {
  const [n, c, h, width] = nchw('ConvTranspose', x);
  const group = typeof attrs['group'] === 'number' ? attrs['group'] : 1;
  const [ci, og, kh, kw] = w.shape as number[];
  if (ci !== c) fail(`ConvTranspose: weight expects ${ci} input channels, input has ${c}`);
  const win = window(attrs, [kh, kw]);
  const extra = ints(attrs, 'output_padding', [0, 0]);
  const out = [h, width].map(
    (size, i) =>
      win.strides[i] * (size - 1) +
      extra[i] +
      win.dilations[i] * (win.kernel[i] - 1) +
      1 -
      win.pads[i] -
      win.pads[i + 2],
  );
  if (out.some((d) => d < 1)) fail('ConvTranspose: the output would be empty');
  return [{ dtype: x.dtype, shape: [n, og * group, out[0], out[1]] }];
};

function pool(op: string, withIndices: boolean): ShapeRule {
  return ([x], attrs) => {
    noCeilMode(op, attrs);
    const [n, c, h, w] = nchw(op, x);
    const [ho, wo] = slide(op, h, w, window(attrs, ints(attrs, 'kernel_shape', [])));
    const shape = [n, c, ho, wo];
    const y = { dtype: x.dtype, shape };
    return withIndices ? [y, { dtype: 'int64', shape }] : [y];
  };
}

const globalAveragePool: ShapeRule = ([x]) => {
  const [n, c] = nchw('GlobalAveragePool', x);
  return [{ dtype: x.dtype, shape: [n, c, 1, 1] }];
};

const scatterElements: ShapeRule = ([data, indices, updates]) => {
  if (indices.shape.join() !== updates.shape.join())
    fail('ScatterElements: indices and updates differ in shape');
  return [{ dtype: data.dtype, shape: data.shape }];
};

/** ConstantOfShape takes its shape as a runtime tensor; the builder states it (-1 = batch). */
const constantOfShape: ShapeRule = (_inputs, attrs) => {
  const shape = attrs['shape'];
  const value = attrs['value'];
  if (!Array.isArray(shape)) fail('ConstantOfShape: the builder must state the shape');
  const dtype = value !== undefined && isTensor(value) ? value.dtype : 'float32';
  return [{ dtype, shape: shape.map((d) => (d === -1 ? 'N' : d)) }];
};

/** Col2Im takes the image and block shapes as runtime tensors; the builder states them. */
const col2Im: ShapeRule = ([x], attrs) => {
  const image = ints(attrs, 'image_shape', []);
  const block = ints(attrs, 'block_shape', []);
  if (image.length !== 2 || block.length !== 2) fail('Col2Im: the builder must state the shapes');
  const [n, rows] = x.shape;
  const taps = block[0] * block[1];
  if (typeof rows !== 'number' || rows % taps !== 0)
    fail(`Col2Im: ${rows} rows are not a multiple of the ${taps} block positions`);
  return [{ dtype: x.dtype, shape: [n, (rows as number) / taps, ...image] }];
};

/** Inference-mode BatchNormalization: X [N, C, …] with per-channel scale, bias, mean, var. */
const batchNormalization: ShapeRule = ([x, ...perChannel]) => {
  if (perChannel.some((v) => v.shape.length !== 1 || v.shape[0] !== x.shape[1]))
    fail(`BatchNormalization: statistics and affine parameters must be [${x.shape[1]}]`);
  return [{ dtype: x.dtype, shape: x.shape }];
};

/** MaxUnpool's output shape is a runtime tensor (the pooled input's Shape); the builder states it. */
const maxUnpool: ShapeRule = ([x, indices], attrs) => {
  const shape = attrs['shape'];
  if (!Array.isArray(shape)) fail('MaxUnpool: the builder must state the output shape');
  if (indices.dtype !== 'int64' || !sameShape(x.shape, indices.shape))
    fail('MaxUnpool: indices must be int64 and shaped like the values');
  return [{ dtype: x.dtype, shape: shape.map((d) => (d === -1 ? 'N' : d)) }];
};

export const CONV_OPS: Record<string, ShapeRule> = {
  BatchNormalization: batchNormalization,
  Col2Im: col2Im,
  Conv: conv,
  ConvTranspose: convTranspose,
  MaxPool: pool('MaxPool', true),
  AveragePool: pool('AveragePool', false),
  GlobalAveragePool: globalAveragePool,
  ScatterElements: scatterElements,
  ConstantOfShape: constantOfShape,
  MaxUnpool: maxUnpool,
};

export const CONV_BUILDER_ONLY_ATTRS: Record<string, string[]> = {
  // The statistics are the input's own batch statistics: for the gradient rule only.
  BatchNormalization: ['batch_statistics'],
  ConstantOfShape: ['shape'],
  MaxUnpool: ['shape'],
  Col2Im: ['image_shape', 'block_shape'],
};
