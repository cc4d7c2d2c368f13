// Gradient rules for convolution and pooling, in standard ONNX ops (onnxruntime-node has no
// ConvGrad or MaxPoolGrad). The formulations were chosen by measurement on this machine
// (../shared/design/PERF-NOTES.md, ARCHITECTURE.md "Decisions"):
//   Conv dX: ConvTranspose; a Conv of dY with the flipped, channel-swapped weights instead
//            where the stride is 1 and dY has no more channels than X (then it is faster);
//            one GEMM and Col2Im where the layer has few output positions.
//   Conv dW: im2col by a grouped Conv with constant one-hot kernels, then one batched MatMul
//            against dY and a sum over the batch; where the layer has few output positions
//            (ResNet's later stages), one GEMM over batch × positions instead.
//   MaxPool: MaxUnpool of dY at the Indices output where windows are disjoint; else
//            ScatterElements(add) on the flattened input.
//   AveragePool: ConvTranspose of dY ÷ divisor with a constant all-ones depthwise kernel.
import type { GraphBuilder } from '../ir/builder.js';
import type { Node } from '../ir/graph.js';
import { tensor } from '../ir/graph.js';
import type { GradientRule } from './rules.js';

function ints(node: Node, name: string, fallback: number[]): number[] {
  const v = node.attrs[name];
  return Array.isArray(v) ? v : fallback;
}

interface Geometry {
  kernel: number[];
  strides: number[];
  pads: number[];
  dilations: number[];
  group: number;
}

function geometryOf(node: Node, kernel: number[]): Geometry {
  return {
    kernel,
    strides: ints(node, 'strides', [1, 1]),
    pads: ints(node, 'pads', [0, 0, 0, 0]),
    dilations: ints(node, 'dilations', [1, 1]),
    group: typeof node.attrs['group'] === 'number' ? node.attrs['group'] : 1,
  };
}

/**
 * The adjoint of a sliding window: ConvTranspose of `dY` with `w` ([C_dY, C_out/group, kh, kw]),
 * cropped or zero-extended so the result is exactly the forward input's `hw`.
 */
function slideBack(b: GraphBuilder, dY: string, w: string, g: Geometry, hw: number[]): string {
  const out = b.info(dY).shape.slice(2) as number[];
  const full = out.map((o, i) => g.strides[i] * (o - 1) + g.dilations[i] * (g.kernel[i] - 1) + 1);
  // Rows and columns that no window reached (floor mode) get no gradient: output_padding adds them.
  const endCrop = full.map((f, i) => f - g.pads[i] - hw[i]);
  return b.op('ConvTranspose', [dY, w], {
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
  const flipped = b.op('Gather', [b.op('Gather', [w, reverse(kh)], { axis: 2 }), reverse(kw)], {
    axis: 3,
  });
  const og = o / g.group;
  const grouped = [g.group, og, cg, kh, kw];
  const split = b.op('Reshape', [flipped, b.int64s(grouped)], { shape: grouped });
  const swapped = b.op('Transpose', [split], { perm: [0, 2, 1, 3, 4] });
  const shape = [g.group * cg, og, kh, kw];
  const weight = b.op('Reshape', [swapped, b.int64s(shape)], { shape });
  const reach = g.kernel.map((k, i) => g.dilations[i] * (k - 1));
  return b.op('Conv', [dY, weight], {
    kernel_shape: g.kernel,
    dilations: g.dilations,
    group: g.group,
    pads: [reach[0] - g.pads[0], reach[1] - g.pads[1], reach[0] - g.pads[2], reach[1] - g.pads[3]],
  });
}

function convInputGrad(b: GraphBuilder, node: Node, dY: string, g: Geometry): string {
  const [x, w] = node.inputs;
  const hw = b.info(x).shape.slice(2) as number[];
  const reach = g.kernel.map((k, i) => g.dilations[i] * (k - 1));
  const unitStride = g.strides.every((s) => s === 1);
  const padsFit = g.pads.every((p, i) => p <= reach[i % 2]);
  // The flipped Conv unfolds dY (O·k² rows) where ConvTranspose unfolds into X (C·k² rows):
  // measured, it wins at 64→64 channels but takes twice as long at 32→64 (ARCHITECTURE.md).
  const fewerOut = (b.info(w).shape[0] as number) <= (b.info(x).shape[1] as number);
  // With few output positions Conv and ConvTranspose run one GEMM per image, a matrix-vector
  // product at ResNet's 2² and 1² outputs that re-reads the weights 64 times; one GEMM and
  // Col2Im read them once. Measured on ResNet18's train step (1 thread, CPU time;
  // ARCHITECTURE.md): for trainable weights up to 4² positions, for frozen ones only up to 2²,
  // since constant weights get onnxruntime's faster blocked-layout (NCHWc) Conv.
  const positions = (b.info(dY).shape.slice(2) as number[]).reduce((n, d) => n * d, 1);
  const frozen = b.graph.initializers.has(w);
  if (positions <= (frozen ? 4 : 16)) return gemmCol2Im(b, dY, w, g, hw);
  return unitStride && padsFit && fewerOut ? flippedConv(b, dY, w, g) : slideBack(b, dY, w, g, hw);
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
  const reshape = (v: string, shape: number[]) => b.op('Reshape', [v, b.int64s(shape)], { shape });
  const split = reshape(dY, [-1, g.group, og, l]);
  const rows = reshape(b.op('Transpose', [split], { perm: [1, 2, 0, 3] }), [g.group, og, -1]);
  const weightsT = b.op('Transpose', [reshape(w, [g.group, og, k])], { perm: [0, 2, 1] });
  const cols = reshape(b.op('MatMul', [weightsT, rows]), [g.group, k, -1, l]);
  const columns = reshape(b.op('Transpose', [cols], { perm: [2, 0, 1, 3] }), [-1, g.group * k, l]);
  return b.op('Col2Im', [columns, b.int64s(hw), b.int64s([kh, kw])], {
    pads: g.pads,
    strides: g.strides,
    dilations: g.dilations,
    image_shape: hw,
    block_shape: [kh, kw],
  });
}

/**
 * dW by im2col: a grouped Conv with one-hot kernels lays out every input
 * patch as channels ([N, C·kh·kw, L]); per group, dW = Σₙ dYₙ · colsₙᵀ as one batched MatMul,
 * summed over N.
 */
function convWeightGrad(b: GraphBuilder, node: Node, dY: string, g: Geometry): string {
  const [x, w] = node.inputs;
  const c = b.info(x).shape[1] as number;
  const [o, cg, kh, kw] = b.info(w).shape as number[];
  const taps = kh * kw;
  const oneHot = b.floats([c * taps, 1, kh, kw], (i) =>
    Math.floor(i / taps) % taps === i % taps ? 1 : 0,
  );
  const cols = b.op('Conv', [x, oneHot], {
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
  return b.op('Reshape', [dW, b.int64s([o, cg, kh, kw])], { shape: [o, cg, kh, kw] });
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
 * batch 64, they are 151M floats. Measured on the ResNet18 train step (ARCHITECTURE.md).
 */
function oneGemm({ og, k, l }: WeightGradLayout): boolean {
  return l * (og + k) < (og * k) / 2;
}

/** Σₙ dYₙ · colsₙᵀ as one batched MatMul ([N, G, og, k]) and a ReduceSum over N. */
function gemmPerImage(b: GraphBuilder, cols: string, dY: string, s: WeightGradLayout): string {
  const colShape = [-1, s.group, s.k, s.l];
  const dyShape = [-1, s.group, s.og, s.l];
  const colsT = b.op(
    'Transpose',
    [b.op('Reshape', [cols, b.int64s(colShape)], { shape: colShape })],
    { perm: [0, 1, 3, 2] },
  );
  const dy = b.op('Reshape', [dY, b.int64s(dyShape)], { shape: dyShape });
  return b.reduceSum(b.op('MatMul', [dy, colsT]), [0], false);
}

/**
 * dY as [G, og, N·L] times cols as [G, k, N·L] transposed: one GEMM per group over batch and
 * positions. Both are laid out by moving runs of L values (the positions axis stays innermost);
 * the last transpose is the GEMM's own (onnxruntime fuses it into FusedMatMul). Transposing cols
 * straight to [G, N·L, k] instead took 3–10 ms per layer2 conv of ResNet18's step.
 */
function gemmOverBatch(b: GraphBuilder, cols: string, dY: string, s: WeightGradLayout): string {
  const grouped = (v: string, rows: number) => {
    const split = [-1, s.group, rows, s.l];
    const flat = [s.group, rows, -1];
    const moved = b.op('Transpose', [b.op('Reshape', [v, b.int64s(split)], { shape: split })], {
      perm: [1, 2, 0, 3],
    });
    return b.op('Reshape', [moved, b.int64s(flat)], { shape: flat });
  };
  const colsT = b.op('Transpose', [grouped(cols, s.k)], { perm: [0, 2, 1] });
  return b.op('MatMul', [grouped(dY, s.og), colsT]);
}

/** Y = conv(X, W) + B. */
const conv: GradientRule = (b, node, [dY], needed) => {
  const g = geometryOf(node, (b.info(node.inputs[1]).shape as number[]).slice(2));
  return [
    needed[0] ? convInputGrad(b, node, dY!, g) : undefined,
    needed[1] ? convWeightGrad(b, node, dY!, g) : undefined,
    needed[2] ? b.reduceSum(dY!, [0, 2, 3], false) : undefined,
  ];
};

/**
 * Each output's gradient goes to the input element its Indices output names. Where windows do
 * not overlap, no element is named twice, and MaxUnpool (a plain store loop) places dY: the
 * seed CNN's 2×2 pool took 1.0 ms of kernel time against ScatterElements' 16 ms (its `add`
 * reduction runs a generic per-element path). Overlapping or padded windows, ceil_mode, and
 * float64 graphs (no float64 MaxUnpool kernel) accumulate with ScatterElements(add).
 */
const maxPool: GradientRule = (b, node, [dY]) => {
  const [x] = node.inputs;
  const indices = node.outputs[1];
  if (!indices)
    throw new Error('MaxPool: the gradient needs the Indices output (lower it in train mode)');
  const kernel = ints(node, 'kernel_shape', []);
  const strides = ints(
    node,
    'strides',
    kernel.map(() => 1),
  );
  const dilations = ints(
    node,
    'dilations',
    kernel.map(() => 1),
  );
  const disjoint = kernel.every((k, i) => dilations[i] * (k - 1) < strides[i]);
  // onnxruntime's MaxUnpool refuses an output smaller than the windows' reach (ceil_mode, pads).
  const inside = !node.attrs['ceil_mode'] && ints(node, 'pads', []).every((p) => p === 0);
  if (disjoint && inside && b.floatType === 'float32') {
    const shape = b.info(x).shape.map((d) => (d === 'N' ? -1 : d));
    return [
      b.op('MaxUnpool', [dY!, indices, b.op('Shape', [x])], {
        kernel_shape: kernel,
        strides,
        shape,
      }),
    ];
  }
  const flat = [-1];
  const flatten = (v: string) => b.op('Reshape', [v, b.int64s(flat)], { shape: flat });
  const zeros = b.op('ConstantOfShape', [b.op('Shape', [flatten(x)])], {
    shape: flat,
    value: tensor(
      b.floatType,
      [1],
      b.floatType === 'float64' ? new Float64Array(1) : new Float32Array(1),
    ),
  });
  const scattered = b.op('ScatterElements', [zeros, flatten(indices), flatten(dY!)], {
    axis: 0,
    reduction: 'add',
  });
  return [b.reshapeLike(scattered, x)];
};

/** Mean over windows: spread dY ÷ divisor back over each window with an all-ones kernel. */
const averagePool: GradientRule = (b, node, [dY]) => {
  const [x] = node.inputs;
  const [, c, h, w] = b.info(x).shape as number[];
  const kernel = ints(node, 'kernel_shape', []);
  const g = { ...geometryOf(node, kernel), group: c };
  const [ho, wo] = b.info(dY!).shape.slice(2) as number[];
  const divisor = (o: number, i: number, size: number) => {
    const start = o * g.strides[i] - g.pads[i];
    return node.attrs['count_include_pad']
      ? kernel[i]
      : Math.min(start + kernel[i], size) - Math.max(start, 0);
  };
  const scale = b.floats([ho, wo], (k) => {
    const r = Math.floor(k / wo);
    return 1 / (divisor(r, 0, h) * divisor(k % wo, 1, w));
  });
  const ones = b.floats([c, 1, ...kernel], () => 1);
  return [slideBack(b, b.op('Mul', [dY!, scale]), ones, g, [h, w])];
};

/** The mean over H×W: each input pixel receives dY ÷ (H·W). */
const globalAveragePool: GradientRule = (b, node, [dY]) => {
  const [h, w] = b.info(node.inputs[0]).shape.slice(2) as number[];
  return [b.op('Mul', [dY!, b.floats([h, w], () => 1 / (h * w))])];
};

export const CONV_RULES: Record<string, GradientRule> = {
  Conv: conv,
  MaxPool: maxPool,
  AveragePool: averagePool,
  GlobalAveragePool: globalAveragePool,
};
