// The gradient of Conv in standard ONNX ops (onnxruntime-node has no ConvGrad). The
// formulations were chosen by measurement (docs/decisions/0003-convolution-gradients.md):
//   dX: ConvTranspose; a Conv of dY with the flipped, channel-swapped weights instead where the
//       stride is 1 and dY has no more channels than X (then it is faster); one GEMM and Col2Im
//       where the layer has few output positions and the target has a Col2Im kernel.
//   dW: im2col by a grouped Conv with constant one-hot kernels, then one batched MatMul against
//       dY and a sum over the batch; where the layer has few output positions (ResNet's later
//       stages), one GEMM over batch × positions instead.
import type { GraphBuilder } from '../ir/builder.js';
import { reshape } from '../ir/ops-helpers.js';
import type { Gradients, OpNode } from './op.js';
import type { Window } from './windows.js';
import { windowOf } from './windows.js';
import { onnx } from './index.js';
import { blockedFits } from './nchwc.js';

type ConvAttrs = {
  kernel_shape: 'ints';
  strides: 'ints';
  pads: 'ints';
  dilations: 'ints';
  group: 'int';
};

export interface Geometry extends Window {
  group: number;
}

export function geometryOf(node: OpNode<ConvAttrs>, kernel: number[]): Geometry {
  return { ...windowOf(node.attrs, kernel), group: node.attrs.group ?? 1 };
}

/** Y = conv(X, W) + B. */
export function convGradient(
  b: GraphBuilder,
  node: OpNode<ConvAttrs>,
  [dY]: (string | undefined)[],
  needed: boolean[],
): Gradients {
  const g = geometryOf(node, (b.info(node.inputs[1]).shape as number[]).slice(2));
  return [
    needed[0] ? convInputGrad(b, node, dY!, g) : undefined,
    needed[1] ? convWeightGrad(b, node, dY!, g) : undefined,
    needed[2] ? b.reduceSum(dY!, [0, 2, 3], false) : undefined,
  ];
}

/**
 * The adjoint of a sliding window: ConvTranspose of `dY` with `w` ([C_dY, C_out/group, kh, kw]),
 * cropped or zero-extended so the result is exactly the forward input's `hw`.
 */
export function slideBack(
  b: GraphBuilder,
  dY: string,
  w: string,
  g: Geometry,
  hw: number[],
): string {
  const out = b.info(dY).shape.slice(2) as number[];
  const full = out.map((o, i) => g.strides[i] * (o - 1) + g.dilations[i] * (g.kernel[i] - 1) + 1);
  // Rows and columns that no window reached (floor mode) get no gradient: output_padding adds them.
  const endCrop = full.map((f, i) => f - g.pads[i] - hw[i]);
  return b.op(onnx.ConvTranspose, [dY, w], {
    kernel_shape: g.kernel,
    strides: g.strides,
    dilations: g.dilations,
    group: g.group,
    pads: [g.pads[0], g.pads[1], Math.max(0, endCrop[0]), Math.max(0, endCrop[1])],
    output_padding: endCrop.map((c) => Math.max(0, -c)),
  });
}

/** dX for stride 1: Conv of dY with W flipped in space and its channel axes swapped per group. */
function flippedConv(b: GraphBuilder, dY: string, w: string, g: Geometry): string {
  const [o, cg, kh, kw] = b.info(w).shape as number[];
  const reverse = (k: number) => b.int64s(Array.from({ length: k }, (_, i) => k - 1 - i));
  const flipped = b.op(
    onnx.Gather,
    [b.op(onnx.Gather, [w, reverse(kh)], { axis: 2 }), reverse(kw)],
    {
      axis: 3,
    },
  );
  const og = o / g.group;
  const split = reshape(b, flipped, [g.group, og, cg, kh, kw]);
  const swapped = b.op(onnx.Transpose, [split], { perm: [0, 2, 1, 3, 4] });
  const weight = reshape(b, swapped, [g.group * cg, og, kh, kw]);
  const reach = g.kernel.map((k, i) => g.dilations[i] * (k - 1));
  return b.op(onnx.Conv, [dY, weight], {
    kernel_shape: g.kernel,
    dilations: g.dilations,
    group: g.group,
    pads: [reach[0] - g.pads[0], reach[1] - g.pads[1], reach[0] - g.pads[2], reach[1] - g.pads[3]],
  });
}

function convInputGrad(b: GraphBuilder, node: OpNode, dY: string, g: Geometry): string {
  const [x, w] = node.inputs;
  const hw = b.info(x).shape.slice(2) as number[];
  const reach = g.kernel.map((k, i) => g.dilations[i] * (k - 1));
  const unitStride = g.strides.every((s) => s === 1);
  const padsFit = g.pads.every((p, i) => p <= reach[i % 2]);
  // The flipped Conv unfolds dY (O·k² rows) where ConvTranspose unfolds into X (C·k² rows):
  // measured, it wins at 64→64 channels but takes twice as long at 32→64.
  const fewerOut = (b.info(w).shape[0] as number) <= (b.info(x).shape[1] as number);
  // With few output positions Conv and ConvTranspose run one GEMM per image, a matrix-vector
  // product at ResNet's 2² and 1² outputs that re-reads the weights 64 times; one GEMM and
  // Col2Im read them once. Measured on ResNet18's train step: for trainable weights up to 4²
  // positions, for frozen ones only up to 2², since constant weights get onnxruntime's faster
  // blocked-layout (NCHWc) Conv.
  const positions = (b.info(dY).shape.slice(2) as number[]).reduce((n, d) => n * d, 1);
  const frozen = b.graph.initializers.has(w);
  if (positions <= (frozen ? 4 : 16) && b.runs(onnx.Col2Im)) return gemmCol2Im(b, dY, w, g, hw);
  // On the blocked CPU kernel the flipped Conv beats ConvTranspose at any channel counts.
  const [o, cg, kh, kw] = b.info(w).shape as number[];
  const blocked =
    !frozen && blockedFits(b.convBlock, b.info(dY), { shape: [cg, o, kh, kw] }, g.group);
  return unitStride && padsFit && (fewerOut || blocked)
    ? flippedConv(b, dY, w, g)
    : slideBack(b, dY, w, g, hw);
}

/**
 * dX = col2im(Wᵀ·dY): per group, the columns [cg·k², N·L] = Wᵀ [cg·k², og] · dY [og, N·L] as one
 * (batched over groups) MatMul, then Col2Im sums each column back into its window. Both
 * transposes keep the positions axis innermost, so they move runs of L values.
 */
function gemmCol2Im(b: GraphBuilder, dY: string, w: string, g: Geometry, hw: number[]): string {
  const [o, cg, kh, kw] = b.info(w).shape as number[];
  const og = o / g.group;
  const k = cg * kh * kw;
  const l = (b.info(dY).shape.slice(2) as number[]).reduce((n, d) => n * d, 1);
  const split = reshape(b, dY, ['N', g.group, og, l]);
  const rows = reshape(b, b.op(onnx.Transpose, [split], { perm: [1, 2, 0, 3] }), [
    g.group,
    og,
    'N',
  ]);
  const weightsT = b.op(onnx.Transpose, [reshape(b, w, [g.group, og, k])], { perm: [0, 2, 1] });
  const cols = reshape(b, b.op(onnx.MatMul, [weightsT, rows]), [g.group, k, 'N', l]);
  const columns = reshape(b, b.op(onnx.Transpose, [cols], { perm: [2, 0, 1, 3] }), [
    'N',
    g.group * k,
    l,
  ]);
  return b.op(onnx.Col2Im, [columns, b.int64s(hw), b.int64s([kh, kw])], {
    pads: g.pads,
    strides: g.strides,
    dilations: g.dilations,
  });
}

/**
 * dW by im2col: a grouped Conv with one-hot kernels lays out every input patch as channels
 * ([N, C·kh·kw, L]); per group, dW = Σₙ dYₙ · colsₙᵀ.
 */
function convWeightGrad(b: GraphBuilder, node: OpNode, dY: string, g: Geometry): string {
  const [x, w] = node.inputs;
  const c = b.info(x).shape[1] as number;
  const [o, cg, kh, kw] = b.info(w).shape as number[];
  const taps = kh * kw;
  const oneHot = b.floats([c * taps, 1, kh, kw], (i) =>
    Math.floor(i / taps) % taps === i % taps ? 1 : 0,
  );
  const cols = b.op(onnx.Conv, [x, oneHot], {
    kernel_shape: g.kernel,
    strides: g.strides,
    pads: g.pads,
    dilations: g.dilations,
    group: c,
  });
  const [ho, wo] = b.info(dY).shape.slice(2) as number[];
  const layout: WeightGradLayout = { group: g.group, og: o / g.group, k: cg * taps, l: ho * wo };
  const dW = oneGemm(layout)
    ? gemmOverBatch(b, cols, dY, layout)
    : gemmPerImage(b, cols, dY, layout);
  return reshape(b, dW, [o, cg, kh, kw]);
}

/** Per group: `og` output channels, `k` = input channels × taps columns, `l` output positions. */
interface WeightGradLayout {
  group: number;
  og: number;
  k: number;
  l: number;
}

/**
 * Per image, the batched MatMul writes og·k products that the sum over N then reads; one GEMM
 * over N·L must first transpose l·(og + k) values. With few output positions (ResNet's later
 * stages: 2², 1²) the per-image products dwarf the transposes — at 512→512, 1×1 outputs,
 * batch 64, they are 151M floats. Measured on the ResNet18 train step.
 */
function oneGemm({ og, k, l }: WeightGradLayout): boolean {
  return l * (og + k) < (og * k) / 2;
}

/** Σₙ dYₙ · colsₙᵀ as one batched MatMul ([N, G, og, k]) and a ReduceSum over N. */
function gemmPerImage(b: GraphBuilder, cols: string, dY: string, s: WeightGradLayout): string {
  const colsT = b.op(onnx.Transpose, [reshape(b, cols, ['N', s.group, s.k, s.l])], {
    perm: [0, 1, 3, 2],
  });
  const dy = reshape(b, dY, ['N', s.group, s.og, s.l]);
  return b.reduceSum(b.op(onnx.MatMul, [dy, colsT]), [0], false);
}

/**
 * dY as [G, og, N·L] times cols as [G, k, N·L] transposed: one GEMM per group over batch and
 * positions. Both are laid out by moving runs of L values (the positions axis stays innermost);
 * the last transpose is the GEMM's own (onnxruntime fuses it into FusedMatMul); transposing cols
 * straight to [G, N·L, k] instead moves short rows innermost, which measured slower
 * (docs/decisions/0003-convolution-gradients.md).
 */
function gemmOverBatch(b: GraphBuilder, cols: string, dY: string, s: WeightGradLayout): string {
  const grouped = (v: string, rows: number) => {
    const moved = b.op(onnx.Transpose, [reshape(b, v, ['N', s.group, rows, s.l])], {
      perm: [1, 2, 0, 3],
    });
    return reshape(b, moved, [s.group, rows, 'N']);
  };
  const colsT = b.op(onnx.Transpose, [grouped(cols, s.k)], { perm: [0, 2, 1] });
  return b.op(onnx.MatMul, [grouped(dY, s.og), colsT]);
}
