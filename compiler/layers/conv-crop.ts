// Kernel taps that only ever read padding. A 3×3 convolution with padding 1 on a 1×1 image
// (ResNet18's layer4 for a 28×28 input) multiplies eight of its nine taps by zeros; onnxruntime
// still computes them. Cropping the kernel to the taps that reach the image gives the same
// result (the dropped terms are exact zeros) for a ninth of the work.
import type { GraphBuilder } from '../ir/builder.js';
import { reshape, slice } from '../ir/ops-helpers.js';
import { onnx } from '../ops/index.js';

export interface ConvWindow {
  kernel: number[];
  strides: number[];
  /** ONNX order: [top, left, bottom, right]. */
  pads: number[];
  dilations: number[];
}

/** The first and last tap along one axis that some output position reads inside the input. */
function reachingTaps(size: number, k: number, stride: number, padBegin: number, outputs: number) {
  let first = k;
  let last = -1;
  for (let t = 0; t < k; t++) {
    for (let o = 0; o < outputs; o++) {
      const i = o * stride - padBegin + t;
      if (i >= 0 && i < size) [first, last] = [Math.min(first, t), Math.max(last, t)];
    }
  }
  return { first, last };
}

/**
 * The weight and window to use instead of `w` and `window` on an input of `hw` producing `out`
 * positions, or undefined when every tap reaches the input (or the kernel is dilated).
 */
export function croppedKernel(
  b: GraphBuilder,
  w: string,
  window: ConvWindow,
  hw: number[],
  out: number[],
): { weight: string; window: ConvWindow } | undefined {
  if (window.dilations.some((d) => d !== 1)) return undefined;
  const taps = hw.map((size, i) =>
    reachingTaps(size, window.kernel[i], window.strides[i], window.pads[i], out[i]),
  );
  if (taps.every((t, i) => t.first === 0 && t.last === window.kernel[i] - 1)) return undefined;
  if (taps.some((t) => t.last < t.first)) return undefined;
  const kernel = taps.map((t) => t.last - t.first + 1);
  const begin = taps.map((t, i) => window.pads[i] - t.first);
  // End padding that keeps the output size: (out − 1)·stride + k' = size + begin + end.
  const end = hw.map((size, i) => (out[i] - 1) * window.strides[i] + kernel[i] - size - begin[i]);
  if (end.some((e) => e < 0)) return undefined;
  const first = taps.map((t) => t.first);
  const weight = b.graph.initializers.has(w)
    ? slice(
        b,
        w,
        first,
        taps.map((t) => t.last + 1),
        [2, 3],
      )
    : selectTaps(b, w, window.kernel, first, kernel);
  return { weight, window: { ...window, kernel, pads: [...begin, ...end] } };
}

/**
 * The `kernel` taps from `first` on of trainable weights, as a GEMM by a constant 0/1 matrix
 * ([O·C, kh·kw] · [kh·kw, kh'·kw']). A Slice computes the same, but onnxruntime's Slice and the
 * Pad of its gradient crawl over [512, 512, 3, 3] weights a few elements at a time; the GEMM
 * and its gradient's GEMM stream them (docs/decisions/0007-tiny-feature-maps.md). Frozen
 * weights keep the Slice, which onnxruntime folds into a constant.
 */
function selectTaps(
  b: GraphBuilder,
  w: string,
  full: number[],
  first: number[],
  kernel: number[],
): string {
  const [o, c] = b.info(w).shape as number[];
  const [kh, kw] = full;
  const [ch, cw] = kernel;
  // Row: a tap of the full kernel; column: a tap of the crop; 1 where they are the same tap.
  const select = b.floats([kh * kw, ch * cw], (i) => {
    const [tap, kept] = [Math.floor(i / (ch * cw)), i % (ch * cw)];
    const y = Math.floor(kept / cw) + first[0];
    return tap === y * kw + (kept % cw) + first[1] ? 1 : 0;
  });
  const rows = reshape(b, w, [o * c, kh * kw]);
  return reshape(b, b.op(onnx.Gemm, [rows, select]), [o, c, ch, cw]);
}
