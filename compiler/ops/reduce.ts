// Reductions: sums and means over axes (losses, batch statistics, gradients' un-broadcasting),
// the sum of squares (norms for monitoring and clipping), ArgMax (predictions), and for targets
// without ArgMax's int64 and MaxPool's Indices, maxima and running sums (CumSum).
import type { Conversion, ImportContext } from '../import/conversion.js';
import { attrInts, attrNumber, layerUse } from '../import/conversion.js';
import type { GraphBuilder } from '../ir/builder.js';
import type { OnnxNode } from '../onnx/read.js';
import type { Shape, ValueInfo } from '../ir/graph.js';
import { expandLike, reshape, sizeOf } from '../ir/ops-helpers.js';
import { axesAsAttribute } from './downgrades.js';
import type { Gradients, OpNode, OutputType } from './op.js';
import { defineOp } from './op.js';
import { knownNumbers, normalizeAxis } from './shapes.js';
import { onnx } from './index.js';

const REDUCE = { keepdims: 'int' } as const;

/** The reduced axes: the constant `axes` input, or every axis when it is absent or empty. */
function reducedAxes(x: ValueInfo, axesInput: ValueInfo | undefined, op: string): number[] {
  const axes = axesInput ? knownNumbers(axesInput, op, 'axes') : [];
  if (axes.length === 0) return x.shape.map((_, i) => i);
  return axes.map((a) => normalizeAxis(a, x.shape.length));
}

function nodeAxes(b: GraphBuilder, node: OpNode<typeof REDUCE>): number[] {
  const axes = node.inputs[1] ? b.info(node.inputs[1]) : undefined;
  return reducedAxes(b.info(node.inputs[0]), axes, node.op);
}

function reduceShape(op: string) {
  return ([x, axesInput]: ValueInfo[], attrs: { keepdims?: number }): OutputType[] => {
    const axes = reducedAxes(x, axesInput, op);
    const keep = (attrs.keepdims ?? 1) === 1;
    const shape: Shape = [];
    x.shape.forEach((d, i) => {
      if (!axes.includes(i)) shape.push(d);
      else if (keep) shape.push(1);
    });
    return [{ dtype: x.dtype, shape }];
  };
}

/** Spreads a reduction's output gradient back over the reduced axes. */
function spread(b: GraphBuilder, node: OpNode<typeof REDUCE>, dY: string): string {
  const x = node.inputs[0];
  const axes = nodeAxes(b, node);
  const kept = b.info(x).shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const keep = node.attrs.keepdims === 0 ? reshape(b, dY, kept) : dY;
  return expandLike(b, keep, x);
}

export const ReduceSum = defineOp({
  name: 'ReduceSum',
  doc: 'the sum over the axes given as an input (all when none)',
  inputs: ['data', 'axes?'],
  indexInputs: ['axes'],
  outputs: ['reduced'],
  attrs: REDUCE,
  shape: reduceShape('ReduceSum'),
  gradient: (b, node, [dY]): Gradients => [spread(b, node, dY!), undefined],
  since: 13,
  downgrade: axesAsAttribute,
  webgpu: true,
  cuda: true,
});

export const ReduceMean = defineOp({
  name: 'ReduceMean',
  doc: 'the mean over the axes given as an input (all when none)',
  inputs: ['data', 'axes?'],
  indexInputs: ['axes'],
  outputs: ['reduced'],
  attrs: REDUCE,
  shape: reduceShape('ReduceMean'),
  /** Like ReduceSum, divided by how many elements each output averaged. */
  gradient: (b, node, [dY]): Gradients => {
    const x = node.inputs[0];
    const shape = b.info(x).shape;
    const counted = nodeAxes(b, node).map((a) => shape[a]);
    // A static count is a constant; one over the batch is Size(y)/Size(x) at runtime.
    const scale = counted.includes('N')
      ? b.op(onnx.Div, [sizeOf(b, node.outputs[0]), sizeOf(b, x)])
      : b.scalar(1 / counted.reduce<number>((n, d) => n * (d as number), 1));
    return [b.op(onnx.Mul, [spread(b, node, dY!), scale]), undefined];
  },
  since: 18,
  downgrade: axesAsAttribute,
  webgpu: true,
  cuda: true,
  import: importSpatialMean,
});

/**
 * A mean over the last two axes keeping them, [N, C, H, W] → [N, C, 1, 1], is the adaptive
 * average pool PyTorch's exporter writes this way (`nn.AdaptiveAvgPool2d(1)` since 2.9); the
 * axes come as an input from opset 18, as an attribute before. Other means are not supported.
 */
function importSpatialMean(node: OnnxNode, { known }: ImportContext): Conversion {
  const axes = node.inputs[1] ? known.dims(node.inputs[1]) : attrInts(node.attrs.axes, []);
  const spatial = [
    [2, 3],
    [-2, -1],
  ].some((pair) => axes?.length === 2 && pair.every((a) => axes.includes(a)));
  if (spatial && attrNumber(node.attrs.keepdims, 1) === 1)
    return layerUse('AdaptiveAvgPool2d', { output_size: 1 });
  return {
    unsupported: `ReduceMean over axes [${axes?.join(', ') ?? '?'}] (netspec imports the mean over the last two axes, kept, as AdaptiveAvgPool2d(1))`,
  };
}

export const ReduceMax = defineOp({
  name: 'ReduceMax',
  doc: 'the maximum over the axes given as an input (all when none)',
  inputs: ['data', 'axes?'],
  indexInputs: ['axes'],
  outputs: ['reduced'],
  attrs: REDUCE,
  shape: reduceShape('ReduceMax'),
  gradient: {
    unsupported:
      'netspec takes maxima for accuracy and for a log-softmax’s shift, never differentiated',
  },
  since: 18,
  downgrade: axesAsAttribute,
  webgpu: true,
  cuda: true,
});

/**
 * Running sums along the axis given as an input: on targets without MaxPool's Indices and
 * ArgMax's int64, where the first maximum of a window or a row is, and example positions.
 */
export const CumSum = defineOp({
  name: 'CumSum',
  doc: 'running sums along an axis',
  inputs: ['x', 'axis'],
  indexInputs: ['axis'],
  outputs: ['y'],
  attrs: { exclusive: 'int', reverse: 'int' },
  shape: ([x]) => [{ dtype: x.dtype, shape: x.shape }],
  gradient: { unsupported: 'netspec counts masks and positions with it, never differentiated' },
  since: 11,
  webgpu: true,
  cuda: true,
});

export const ReduceSumSquare = defineOp({
  name: 'ReduceSumSquare',
  doc: 'Σ x² over every axis (norms for monitoring and clipping), written without axes',
  inputs: ['data'],
  outputs: ['reduced'],
  attrs: REDUCE,
  shape: reduceShape('ReduceSumSquare'),
  gradient: { unsupported: 'netspec takes norms for monitoring and clipping only' },
  since: 1,
  webgpu: true,
  cuda: true,
});

export const ArgMax = defineOp({
  name: 'ArgMax',
  doc: 'the index of the largest element along an axis',
  inputs: ['data'],
  outputs: ['reduced'],
  attrs: { axis: 'int', keepdims: 'int' },
  shape: ([x], attrs) => {
    const axis = normalizeAxis(attrs.axis ?? 0, x.shape.length);
    const keep = (attrs.keepdims ?? 1) === 1;
    const shape = keep
      ? x.shape.map((d, i) => (i === axis ? 1 : d))
      : x.shape.filter((_, i) => i !== axis);
    return [{ dtype: 'int64', shape }];
  },
  gradient: { none: 'an index: piecewise constant' },
  since: 11,
  webgpu: true,
  cuda: true,
});
