// Convolutions: Conv (the Conv2d layers, and the im2col and flipped-kernel forms inside
// gradients), ConvTranspose and Col2Im (which appear only inside gradients).
import type { Conversion, ImportContext } from '../import/conversion.js';
import { attrInts, attrNumber, symmetricPadding } from '../import/conversion.js';
import type { OnnxNode } from '../onnx/read.js';
import { convGradient } from './conv-gradients.js';
import { defineOp, fail, NO_CUDA_KERNEL, NO_WEBGPU_KERNEL } from './op.js';
import { knownNumbers } from './shapes.js';
import { nchw, slide, windowOf } from './windows.js';

const WINDOW = { kernel_shape: 'ints', strides: 'ints', pads: 'ints', dilations: 'ints' } as const;

export const Conv = defineOp({
  name: 'Conv',
  doc: 'a 2-D convolution (cross-correlation) of X with W, plus the bias B',
  inputs: ['X', 'W', 'B?'],
  outputs: ['Y'],
  attrs: { ...WINDOW, group: 'int' },
  shape: ([x, w], attrs) => {
    const [n, c, h, width] = nchw('Conv', x);
    const group = attrs.group ?? 1;
    const [o, cg, kh, kw] = w.shape as number[];
    if (cg * group !== c)
      fail(`Conv: weight expects ${cg}×${group} input channels, input has ${c}`);
    const [ho, wo] = slide('Conv', h, width, windowOf(attrs, [kh, kw]));
    return [{ dtype: x.dtype, shape: [n, o, ho, wo] }];
  },
  gradient: convGradient,
  since: 11,
  webgpu: true,
  cuda: true,
  import: importConv,
});

function importConv(node: OnnxNode, { known }: ImportContext): Conversion {
  const weight = known.constant(node.inputs[1]);
  const pads = symmetricPadding(node);
  if (!weight || weight.dims.length !== 4)
    return { unsupported: 'Conv whose weight is not a 2-D kernel initializer' };
  if (!pads) return { unsupported: 'Conv with asymmetric padding' };
  const groups = attrNumber(node.attrs.group, 1);
  const [out, inPerGroup, kh, kw] = weight.dims;
  return {
    layer: 'Conv2d',
    args: {
      in_channels: inPerGroup * groups,
      out_channels: out,
      kernel_size: attrInts(node.attrs.kernel_shape, [kh, kw]),
      stride: attrInts(node.attrs.strides, [1, 1]),
      padding: pads,
      dilation: attrInts(node.attrs.dilations, [1, 1]),
      groups,
      bias: node.inputs.length > 2 && node.inputs[2] !== '',
    },
    params: { weight: node.inputs[1], bias: node.inputs[2] },
  };
}

export const ConvTranspose = defineOp({
  name: 'ConvTranspose',
  doc: 'the adjoint of a convolution: out = stride·(in − 1) + output_padding + dilation·(k − 1) + 1 − pads',
  inputs: ['X', 'W', 'B?'],
  outputs: ['Y'],
  attrs: { ...WINDOW, group: 'int', output_padding: 'ints' },
  shape: ([x, w], attrs) => {
    const [n, c, h, width] = nchw('ConvTranspose', x);
    const group = attrs.group ?? 1;
    const [ci, og, kh, kw] = w.shape as number[];
    if (ci !== c) fail(`ConvTranspose: weight expects ${ci} input channels, input has ${c}`);
    const win = windowOf(attrs, [kh, kw]);
    const extra = attrs.output_padding ?? [0, 0];
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
  },
  gradient: { unsupported: 'netspec emits it only inside convolution and pooling gradients' },
  since: 11,
  webgpu: true,
  cuda: true,
});

export const Col2Im = defineOp({
  name: 'Col2Im',
  doc: 'sums columns of window values back into an image (the adjoint of im2col)',
  inputs: ['input', 'image_shape', 'block_shape'],
  indexInputs: ['image_shape', 'block_shape'],
  outputs: ['output'],
  attrs: { strides: 'ints', pads: 'ints', dilations: 'ints' },
  shape: ([x, imageShape, blockShape]) => {
    const image = knownNumbers(imageShape, 'Col2Im', 'image shape');
    const block = knownNumbers(blockShape, 'Col2Im', 'block shape');
    if (image.length !== 2 || block.length !== 2) fail('Col2Im: image and block shapes are 2-D');
    const [n, rows] = x.shape;
    const taps = block[0] * block[1];
    if (typeof rows !== 'number' || rows % taps !== 0)
      fail(`Col2Im: ${rows} rows are not a multiple of the ${taps} block positions`);
    return [{ dtype: x.dtype, shape: [n, rows / taps, ...image] }];
  },
  gradient: { unsupported: 'netspec emits it only inside convolution gradients' },
  since: 18,
  webgpu: NO_WEBGPU_KERNEL,
  cuda: NO_CUDA_KERNEL,
});
