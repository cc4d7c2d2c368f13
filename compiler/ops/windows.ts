// Sliding windows over [N, C, H, W] maps, shared by the convolution and pooling ops' shape
// rules and gradients. Spatial ops are 2-D here (NCHW), the only rank netspec emits; `pads` are
// ONNX's [top, left, bottom, right]. Pooling is always emitted in floor mode: the layers turn
// PyTorch's ceil_mode into extra end padding, so ONNX and PyTorch agree.
import type { Shape, ValueInfo } from '../ir/graph.js';
import { fail } from './op.js';

/** A static [N, C, H, W] operand. */
export function nchw(op: string, x: ValueInfo): [N: Shape[0], C: number, H: number, W: number] {
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

export interface Window {
  kernel: number[];
  strides: number[];
  pads: number[];
  dilations: number[];
}

/** A node's window attributes, with ONNX's defaults. */
export function windowOf(
  attrs: { strides?: number[]; pads?: number[]; dilations?: number[] },
  kernel: number[],
): Window {
  return {
    kernel,
    strides: attrs.strides ?? [1, 1],
    pads: attrs.pads ?? [0, 0, 0, 0],
    dilations: attrs.dilations ?? [1, 1],
  };
}

/** The output's spatial size; an empty one is an error. */
export function slide(op: string, h: number, w: number, win: Window): [number, number] {
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
