// A convolution on a tiny map as one GEMM. On ResNet18's 2×2 maps (layer3 for a 28×28 input)
// a 3×3, padding-1 kernel connects every input position to every output position, so the
// convolution is exactly a dense [O·L_out, C·L_in] matrix with no zero entries: the same
// multiply-adds as the Conv, but as one GEMM over the batch instead of one thin GEMM per image,
// and its input and weight gradients are one GEMM each too (no transposes of activations, no
// Col2Im, no im2col). Constant (frozen) weights give a matrix built at compile time; trainable
// ones are placed into it in the graph by a GEMM with a constant 0/1 matrix and a Transpose of
// the weights. Training and evaluation graphs only: an exported model keeps its Conv nodes.
import type { GraphBuilder } from '../ir/builder.js';
import type { Tensor } from '../ir/graph.js';
import { tensor } from '../ir/graph.js';
import { reshape } from '../ir/ops-helpers.js';
import type { ConvWindow } from './conv-crop.js';
import { onnx } from '../ops/index.js';

/** Largest dense matrix built (entries): 4M floats, 16 MB. */
const MAX_ENTRIES = 4 << 20;

/** Input positions [ih·W + iw] that each output position [oh·OW + ow] reads through tap [kh·KW + kw]. */
function connections(window: ConvWindow, hw: number[], out: number[]): Int32Array {
  const [kh, kw] = window.kernel;
  const taps = new Int32Array(out[0] * out[1] * kh * kw).fill(-1);
  for (let oy = 0; oy < out[0]; oy++)
    for (let ox = 0; ox < out[1]; ox++)
      for (let ty = 0; ty < kh; ty++)
        for (let tx = 0; tx < kw; tx++) {
          const iy = oy * window.strides[0] - window.pads[0] + ty * window.dilations[0];
          const ix = ox * window.strides[1] - window.pads[1] + tx * window.dilations[1];
          if (iy < 0 || iy >= hw[0] || ix < 0 || ix >= hw[1]) continue;
          taps[((oy * out[1] + ox) * kh + ty) * kw + tx] = iy * hw[1] + ix;
        }
  return taps;
}

/** M[o·L_out + p, c·L_in + q] = W[o, c, tap] for each tap joining output p to input q. */
function denseMatrix(w: Tensor, taps: Int32Array, lIn: number, lOut: number): Tensor {
  const [o, c, kh, kw] = w.dims;
  const k = kh * kw;
  const weights = w.data as Float32Array | Float64Array;
  const m =
    w.dtype === 'float64'
      ? new Float64Array(o * lOut * c * lIn)
      : new Float32Array(o * lOut * c * lIn);
  for (let oc = 0; oc < o; oc++)
    for (let p = 0; p < lOut; p++) {
      const row = (oc * lOut + p) * c * lIn;
      for (let t = 0; t < k; t++) {
        const q = taps[p * k + t];
        if (q < 0) continue;
        for (let ic = 0; ic < c; ic++) m[row + ic * lIn + q] = weights[(oc * c + ic) * k + t];
      }
    }
  return tensor(w.dtype, [o * lOut, c * lIn], m);
}

/**
 * The dense matrix of trainable weights, built in the graph: [O·C, kh·kw] times a constant 0/1
 * matrix [kh·kw, L_out·L_in] (the tap joining each output to each input) gives [O, C, L_out,
 * L_in], transposed to [O, L_out, C, L_in]. Its gradient runs the same way back.
 */
function placedWeights(
  b: GraphBuilder,
  weight: string,
  taps: Int32Array,
  lIn: number,
  lOut: number,
): string {
  const [o, c, kh, kw] = b.info(weight).shape as number[];
  const k = kh * kw;
  // Row: a tap; column: an (output p, input q) pair; 1 where that tap joins p to q.
  const matrix = b.floats([k, lOut * lIn], (i) => {
    const [t, pair] = [Math.floor(i / (lOut * lIn)), i % (lOut * lIn)];
    return taps[Math.floor(pair / lIn) * k + t] === pair % lIn ? 1 : 0;
  });
  const placed = b.op(onnx.Gemm, [reshape(b, weight, [o * c, k]), matrix]);
  const grouped = b.op(onnx.Transpose, [reshape(b, placed, [o, c, lOut, lIn])], {
    perm: [0, 2, 1, 3],
  });
  return reshape(b, grouped, [o * lOut, c * lIn]);
}

/**
 * The convolution of `x` by `weight` as Reshape → Gemm → Reshape (+ bias), or undefined where
 * that is not exactly as cheap as the Conv: grouped kernels, or maps large enough that the
 * dense matrix would hold zeros or be too big.
 */
export function denseConv(
  b: GraphBuilder,
  x: string,
  weight: string,
  bias: string | undefined,
  window: ConvWindow,
  out: number[],
  groups: number,
): string | undefined {
  const w = b.graph.initializers.get(weight);
  const [n, c, ...hw] = b.info(x).shape;
  if (groups !== 1 || typeof c !== 'number') return undefined;
  const o = b.info(weight).shape[0] as number;
  const lIn = (hw as number[]).reduce((a, d) => a * d, 1);
  const lOut = out.reduce((a, d) => a * d, 1);
  const taps = connections(window, hw as number[], out);
  const used = taps.reduce((count, q) => count + (q >= 0 ? 1 : 0), 0);
  if (used !== lIn * lOut || o * lOut * c * lIn > MAX_ENTRIES) return undefined;
  const m = w
    ? b.initializer(b.fresh(`${weight}.dense`), denseMatrix(w, taps, lIn, lOut))
    : placedWeights(b, weight, taps, lIn, lOut);
  const y = b.op(onnx.Gemm, [reshape(b, x, [n, c * lIn]), m], { transB: 1 });
  const image = reshape(b, y, [n, o, ...out]);
  return bias ? b.op(onnx.Add, [image, reshape(b, bias, [o, 1, 1])]) : image;
}
