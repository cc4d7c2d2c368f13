// Pooling: MaxPool (with its Indices output in training graphs, where the target computes it),
// AveragePool and GlobalAveragePool, and the two ops a max pool's gradient is placed with:
// MaxUnpool where the windows are disjoint, ScatterElements(add) where they overlap. Without
// Indices, the gradient finds each window's maximum itself (pool-windows.ts).
import type { GraphBuilder } from '../ir/builder.js';
import { tensor } from '../ir/graph.js';
import { sameShape } from '../ir/graph.js';
import { reshape } from '../ir/ops-helpers.js';
import type { Conversion } from '../import/conversion.js';
import { attrInts, attrNumber, layerUse, symmetricPadding } from '../import/conversion.js';
import type { OnnxNode } from '../onnx/read.js';
import { slideBack } from './conv-gradients.js';
import { maxPoolGradientByWindows } from './pool-windows.js';
import type { AttrValues, Gradients, OpNode, OutputType } from './op.js';
import { defineOp, fail, NO_CUDA_KERNEL, NO_WEBGPU_KERNEL } from './op.js';
import { targetShape } from './shapes.js';
import { nchw, slide, windowOf } from './windows.js';
import type { ValueInfo } from '../ir/graph.js';
import { onnx } from './index.js';

const POOL = {
  kernel_shape: 'ints',
  strides: 'ints',
  pads: 'ints',
  dilations: 'ints',
  ceil_mode: 'int',
} as const;

function poolShape(op: string, withIndices: boolean) {
  return ([x]: ValueInfo[], attrs: AttrValues<typeof POOL>): OutputType[] => {
    if (attrs.ceil_mode) fail(`${op}: netspec emits floor mode only (ceil_mode becomes padding)`);
    const [n, c, h, w] = nchw(op, x);
    const [ho, wo] = slide(op, h, w, windowOf(attrs, attrs.kernel_shape ?? []));
    const shape = [n, c, ho, wo];
    const y = { dtype: x.dtype, shape };
    return withIndices ? [y, { dtype: 'int64', shape }] : [y];
  };
}

function importPool(node: OnnxNode, layer: 'MaxPool2d' | 'AvgPool2d'): Conversion {
  const pads = symmetricPadding(node);
  if (!pads) return { unsupported: `${node.op} with asymmetric padding` };
  const args: Record<string, number | boolean | number[]> = {
    kernel_size: attrInts(node.attrs.kernel_shape, []),
    stride: attrInts(node.attrs.strides, [1, 1]),
    padding: pads,
    ceil_mode: attrNumber(node.attrs.ceil_mode, 0) === 1,
  };
  if (layer === 'MaxPool2d') args.dilation = attrInts(node.attrs.dilations, [1, 1]);
  else args.count_include_pad = attrNumber(node.attrs.count_include_pad, 0) === 1;
  return { layer, args };
}

export const MaxPool = defineOp({
  name: 'MaxPool',
  doc: 'the maximum of each window; Indices names the element it came from',
  inputs: ['X'],
  outputs: ['Y', 'Indices?'],
  attrs: POOL,
  shape: poolShape('MaxPool', true),
  gradient: (b, node, [dY]): Gradients => [maxPoolGradient(b, node, dY!)],
  since: 11,
  webgpu: (node) =>
    node.outputs.length > 1 ? 'onnxruntime 1.30’s WebGPU MaxPool has no Indices output' : true,
  cuda: true,
  import: (node) => importPool(node, 'MaxPool2d'),
});

/**
 * Each output's gradient goes to the input element its Indices output names. Where windows do
 * not overlap, no element is named twice, and MaxUnpool (a plain store loop) places dY far
 * faster than ScatterElements, whose `add` reduction runs a generic per-element path
 * (docs/decisions/0011-max-pool-gradient.md). Overlapping or padded windows, ceil_mode, float64
 * graphs (no float64 MaxUnpool kernel) and targets without MaxUnpool (CUDA) accumulate with
 * ScatterElements(add).
 */
function maxPoolGradient(b: GraphBuilder, node: OpNode<typeof POOL>, dY: string): string {
  const [x] = node.inputs;
  const indices = node.outputs[1];
  if (!indices) return maxPoolGradientByWindows(b, node, dY);
  const kernel = node.attrs.kernel_shape ?? [];
  const strides = node.attrs.strides ?? kernel.map(() => 1);
  const dilations = node.attrs.dilations ?? kernel.map(() => 1);
  const disjoint = kernel.every((k, i) => dilations[i] * (k - 1) < strides[i]);
  // onnxruntime's MaxUnpool refuses an output smaller than the windows' reach (ceil_mode, pads).
  const inside = !node.attrs.ceil_mode && (node.attrs.pads ?? []).every((p) => p === 0);
  if (disjoint && inside && b.floatType === 'float32' && b.runs(onnx.MaxUnpool)) {
    return b.op(onnx.MaxUnpool, [dY, indices, b.op(onnx.Shape, [x])], {
      kernel_shape: kernel,
      strides,
    });
  }
  const flatten = (v: string) => reshape(b, v, ['N']);
  const zeros = b.op(onnx.ConstantOfShape, [b.op(onnx.Shape, [flatten(x)])], {
    value: tensor(
      b.floatType,
      [1],
      b.floatType === 'float64' ? new Float64Array(1) : new Float32Array(1),
    ),
  });
  const scattered = b.op(onnx.ScatterElements, [zeros, flatten(indices), flatten(dY)], {
    axis: 0,
    reduction: 'add',
  });
  return b.reshapeLike(scattered, x);
}

export const AveragePool = defineOp({
  name: 'AveragePool',
  doc: 'the mean of each window',
  inputs: ['X'],
  outputs: ['Y'],
  attrs: { ...POOL, count_include_pad: 'int' },
  shape: poolShape('AveragePool', false),
  /** Mean over windows: spread dY ÷ divisor back over each window with an all-ones kernel. */
  gradient: (b, node, [dY]): Gradients => {
    const [x] = node.inputs;
    const [, c, h, w] = b.info(x).shape as number[];
    const kernel = node.attrs.kernel_shape ?? [];
    const g = { ...windowOf(node.attrs, kernel), group: c };
    const [ho, wo] = b.info(dY!).shape.slice(2) as number[];
    const divisor = (o: number, i: number, size: number) => {
      const start = o * g.strides[i] - g.pads[i];
      return node.attrs.count_include_pad
        ? kernel[i]
        : Math.min(start + kernel[i], size) - Math.max(start, 0);
    };
    const scale = b.floats([ho, wo], (k) => {
      const r = Math.floor(k / wo);
      return 1 / (divisor(r, 0, h) * divisor(k % wo, 1, w));
    });
    const ones = b.floats([c, 1, ...kernel], () => 1);
    return [slideBack(b, b.op(onnx.Mul, [dY!, scale]), ones, g, [h, w])];
  },
  since: 11,
  webgpu: true,
  cuda: true,
  import: (node) => importPool(node, 'AvgPool2d'),
});

export const GlobalAveragePool = defineOp({
  name: 'GlobalAveragePool',
  doc: 'the mean over H×W of each channel',
  inputs: ['X'],
  outputs: ['Y'],
  attrs: {},
  shape: ([x]) => {
    const [n, c] = nchw('GlobalAveragePool', x);
    return [{ dtype: x.dtype, shape: [n, c, 1, 1] }];
  },
  /** Each input pixel receives dY ÷ (H·W). */
  gradient: (b, node, [dY]): Gradients => {
    const [h, w] = b.info(node.inputs[0]).shape.slice(2) as number[];
    return [b.op(onnx.Mul, [dY!, b.floats([h, w], () => 1 / (h * w))])];
  },
  since: 1,
  webgpu: true,
  cuda: true,
  import: () => layerUse('AdaptiveAvgPool2d', { output_size: 1 }),
});

export const MaxUnpool = defineOp({
  name: 'MaxUnpool',
  doc: 'places each value at the position its index names, zeros elsewhere (a max pool’s gradient)',
  inputs: ['X', 'I', 'output_shape?'],
  indexInputs: ['I', 'output_shape'],
  outputs: ['output'],
  attrs: { kernel_shape: 'ints', strides: 'ints', pads: 'ints' },
  shape: ([x, indices, outputShape]) => {
    if (indices.dtype !== 'int64' || !sameShape(x.shape, indices.shape))
      fail('MaxUnpool: indices must be int64 and shaped like the values');
    return [{ dtype: x.dtype, shape: targetShape(outputShape, 'MaxUnpool') }];
  },
  gradient: { unsupported: 'netspec emits it only inside max pools’ gradients' },
  since: 11,
  webgpu: NO_WEBGPU_KERNEL,
  cuda: NO_CUDA_KERNEL,
});

export const ScatterElements = defineOp({
  name: 'ScatterElements',
  doc: 'data with updates written (or, with reduction add, added) at the indices along an axis',
  inputs: ['data', 'indices', 'updates'],
  indexInputs: ['indices'],
  outputs: ['output'],
  attrs: { axis: 'int', reduction: 'string' },
  shape: ([data, indices, updates]) => {
    if (indices.shape.join() !== updates.shape.join())
      fail('ScatterElements: indices and updates differ in shape');
    return [{ dtype: data.dtype, shape: data.shape }];
  },
  gradient: { unsupported: 'netspec emits it only inside max pools’ gradients' },
  since: 11,
  attrSince: (attrs) => {
    const reduction = attrs.reduction;
    if (reduction === undefined || reduction === 'none') return undefined;
    const since = reduction === 'add' || reduction === 'mul' ? 16 : 18;
    return [`reduction="${String(reduction)}"`, since];
  },
  webgpu: true,
  cuda: true,
});
