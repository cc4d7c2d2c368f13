// Ops that move, cut and join elements without computing new values: the gradient goes back to
// where each element came from (Transpose by the inverse permutation, Slice by zero padding, Pad
// and Concat by slicing, Expand by the driver's un-broadcasting, reshapes by reshaping back).
// ONNX takes shapes, bounds and pads as input tensors; netspec feeds them from Constants or
// Shapes, so their values are known while the graph is built (`knownInts`).
import type { GraphBuilder } from '../ir/builder.js';
import type { Shape } from '../ir/graph.js';
import { pad, slice } from '../ir/ops-helpers.js';
import type { Conversion, ImportContext } from '../import/conversion.js';
import { attrNumber, layerUse } from '../import/conversion.js';
import type { OnnxNode } from '../onnx/read.js';
import { axesAsAttribute } from './downgrades.js';
import type { Gradients, OpNode } from './op.js';
import { defineOp, fail } from './op.js';
import { broadcastShapes, knownNumbers, normalizeAxis, sameType, targetShape } from './shapes.js';
import { onnx } from './index.js';

/** Reshaping ops move no numbers: the gradient is reshaped back (the other inputs are shapes). */
function reshapeBack(b: GraphBuilder, node: OpNode, [dY]: (string | undefined)[]): Gradients {
  return [b.reshapeLike(dY!, node.inputs[0]), ...node.inputs.slice(1).map(() => undefined)];
}

export const Identity = defineOp({
  name: 'Identity',
  doc: 'its input (publishes a value under an output name)',
  inputs: ['input'],
  outputs: ['output'],
  attrs: {},
  shape: sameType,
  gradient: (_b, _node, [dY]): Gradients => [dY],
  since: 1,
  webgpu: true,
  cuda: true,
  import: () => ({ alias: true }),
});

/**
 * Its input, written as an Identity, which the backward pass treats as a constant: a value the
 * result does not depend on, such as the maximum a stable log-softmax subtracts and adds back.
 */
export const StopGradient = defineOp({
  name: 'StopGradient',
  doc: 'its input, through which no gradient flows',
  inputs: ['input'],
  outputs: ['output'],
  attrs: {},
  shape: sameType,
  gradient: { none: 'the result it feeds does not depend on its value (a stabilizing shift)' },
  since: 1,
  writtenAs: 'Identity',
  webgpu: true,
  cuda: true,
});

export const Reshape = defineOp({
  name: 'Reshape',
  doc: 'the input’s elements in another shape (-1: the batch)',
  inputs: ['data', 'shape'],
  indexInputs: ['shape'],
  outputs: ['reshaped'],
  attrs: {},
  shape: ([x, shape]) => [{ dtype: x.dtype, shape: targetShape(shape, 'Reshape') }],
  gradient: reshapeBack,
  since: 5,
  webgpu: true,
  cuda: true,
  import: importReshape,
});

/**
 * Reshape to a constant [batch, -1] or [batch, k] is Flatten (the batch written as the batch
 * size's symbol from Shape, as 0 (copy), or as -1 with k given); k is checked against the
 * flattened size once shapes are known. Other targets are not supported.
 */
function importReshape(node: OnnxNode, { known, model }: ImportContext): Conversion {
  const target = known.dims(node.inputs[1]);
  if (!target) return { unsupported: 'Reshape whose target shape is not a constant' };
  const exportBatch = model.inputs[0]?.dims[0];
  const [first, second] = target;
  const batchLike =
    first === 'N' || first === 0 || (typeof exportBatch === 'number' && first === exportBatch);
  const shown = `[${target.join(', ')}]`;
  const unsupported = {
    unsupported: `Reshape to ${shown} (netspec imports [N, -1] and [N, k], as Flatten)`,
  };
  if (target.length !== 2 || typeof second !== 'number') return unsupported;
  if (second === -1 && batchLike) return layerUse('Flatten');
  if (second > 0 && (batchLike || first === -1))
    return { ...layerUse('Flatten'), expect: [second] };
  return unsupported;
}

export const Flatten = defineOp({
  name: 'Flatten',
  doc: 'the input as a matrix: the axes before `axis` as rows, the rest as columns',
  inputs: ['input'],
  outputs: ['output'],
  attrs: { axis: 'int' },
  shape: ([x], attrs) => {
    const axis = normalizeAxis(attrs.axis ?? 1, x.shape.length + 1);
    const product = (dims: Shape) =>
      dims.includes('N') ? 'N' : dims.reduce<number>((n, d) => n * (d as number), 1);
    return [
      { dtype: x.dtype, shape: [product(x.shape.slice(0, axis)), product(x.shape.slice(axis))] },
    ];
  },
  gradient: reshapeBack,
  since: 11,
  webgpu: true,
  cuda: true,
  import: (n) =>
    attrNumber(n.attrs.axis, 1) === 1
      ? layerUse('Flatten')
      : { unsupported: 'Flatten with axis ≠ 1' },
});

export const Unsqueeze = defineOp({
  name: 'Unsqueeze',
  doc: 'the input with size-1 axes inserted where the axes input says',
  inputs: ['data', 'axes'],
  indexInputs: ['axes'],
  outputs: ['expanded'],
  attrs: {},
  shape: ([x, axesInput]) => {
    const axes = knownNumbers(axesInput, 'Unsqueeze', 'axes');
    const rank = x.shape.length + axes.length;
    const inserted = new Set(axes.map((a) => normalizeAxis(a, rank)));
    const dims = [...x.shape];
    const shape: Shape = [];
    for (let i = 0; i < rank; i++) shape.push(inserted.has(i) ? 1 : dims.shift()!);
    return [{ dtype: x.dtype, shape }];
  },
  gradient: reshapeBack,
  since: 13,
  downgrade: axesAsAttribute,
  webgpu: true,
  cuda: true,
});

export const Transpose = defineOp({
  name: 'Transpose',
  doc: 'the input’s axes permuted',
  inputs: ['data'],
  outputs: ['transposed'],
  attrs: { perm: 'ints' },
  shape: ([x], attrs) => {
    const perm = attrs.perm;
    if (!perm) fail('Transpose: netspec always states perm');
    if ([...perm].sort().join() !== x.shape.map((_, i) => i).join())
      fail(`Transpose: perm [${perm.join(', ')}] is not a permutation of rank ${x.shape.length}`);
    return [{ dtype: x.dtype, shape: perm.map((p) => x.shape[p]) }];
  },
  gradient: (b, node, [dY]): Gradients => {
    const perm = node.attrs.perm!;
    const inverse = perm.map((_, i) => perm.indexOf(i));
    return [b.op(onnx.Transpose, [dY!], { perm: inverse })];
  },
  since: 1,
  webgpu: true,
  cuda: true,
});

export const Concat = defineOp({
  name: 'Concat',
  doc: 'the inputs joined along an axis',
  inputs: ['inputs...'],
  outputs: ['concat_result'],
  attrs: { axis: 'int' },
  shape: (inputs, attrs) => {
    const rank = inputs[0].shape.length;
    const axis = normalizeAxis(attrs.axis ?? 0, rank);
    const shape = [...inputs[0].shape];
    for (const v of inputs.slice(1)) {
      if (v.shape.length !== rank) fail(`Concat: ranks differ (${rank} and ${v.shape.length})`);
      v.shape.forEach((d, i) => {
        if (i !== axis && d !== shape[i])
          fail(`Concat: dimension ${i} differs (${shape[i]} and ${d})`);
      });
    }
    const sizes = inputs.map((v) => v.shape[axis]);
    shape[axis] = sizes.includes('N') ? 'N' : sizes.reduce<number>((n, d) => n + (d as number), 0);
    return [{ dtype: inputs[0].dtype, shape }];
  },
  /** Each input gets its own stretch of the output gradient along the axis. */
  gradient: (b, node, [dY], needed): Gradients => {
    const rank = b.info(node.outputs[0]).shape.length;
    const axis = normalizeAxis(node.attrs.axis ?? 0, rank);
    let offset = 0;
    return node.inputs.map((input, k) => {
      const size = b.info(input).shape[axis];
      if (size === 'N') throw new Error('Concat along the batch has no gradient rule');
      const start = offset;
      offset += size;
      return needed[k] ? slice(b, dY!, [start], [start + size], [axis]) : undefined;
    });
  },
  since: 11,
  webgpu: true,
  cuda: true,
  import: (n) => layerUse('Concat', { dim: attrNumber(n.attrs.axis, 1) }),
});

export const Slice = defineOp({
  name: 'Slice',
  doc: 'x[starts:ends] along axes, unit steps',
  inputs: ['data', 'starts', 'ends', 'axes'],
  indexInputs: ['starts', 'ends', 'axes'],
  outputs: ['output'],
  attrs: {},
  shape: ([x, startsInput, endsInput, axesInput]) => {
    const starts = knownNumbers(startsInput, 'Slice', 'starts');
    const ends = knownNumbers(endsInput, 'Slice', 'ends');
    const axes = knownNumbers(axesInput, 'Slice', 'axes');
    const shape = [...x.shape];
    axes.forEach((axis, k) => {
      const a = normalizeAxis(axis, shape.length);
      const size = shape[a];
      if (size === 'N') fail('Slice: cannot slice the batch dimension');
      const clamp = (i: number) => Math.min(Math.max(i < 0 ? i + size : i, 0), size);
      shape[a] = Math.max(clamp(ends[k]) - clamp(starts[k]), 0);
    });
    return [{ dtype: x.dtype, shape }];
  },
  /** Zero gradient where the slice did not look: pad it back to the input's shape. */
  gradient: (b, node, [dY]): Gradients => {
    const [x, startsInput, endsInput, axesInput] = node.inputs.map((i) => b.info(i));
    const shape = x.shape;
    const rank = shape.length;
    const pads = new Array<number>(2 * rank).fill(0);
    const starts = knownNumbers(startsInput, 'Slice', 'starts');
    const ends = knownNumbers(endsInput, 'Slice', 'ends');
    knownNumbers(axesInput, 'Slice', 'axes').forEach((raw, k) => {
      const axis = raw < 0 ? raw + rank : raw;
      const size = shape[axis] as number;
      const clamp = (i: number) => Math.min(Math.max(i < 0 ? i + size : i, 0), size);
      pads[axis] = clamp(starts[k]);
      pads[axis + rank] = size - Math.max(clamp(ends[k]), clamp(starts[k]));
    });
    return [pad(b, dY!, pads), undefined, undefined, undefined];
  },
  since: 11,
  webgpu: true,
  cuda: true,
});

export const Pad = defineOp({
  name: 'Pad',
  doc: 'the input with zeros (or constant_value) added: every axis’s begin amount, then every axis’s end amount',
  inputs: ['data', 'pads', 'constant_value?'],
  indexInputs: ['pads'],
  outputs: ['output'],
  attrs: { mode: 'string' },
  shape: ([x, padsInput]) => {
    const pads = knownNumbers(padsInput, 'Pad', 'pads');
    const rank = x.shape.length;
    if (pads.length !== 2 * rank) fail(`Pad: ${pads.length} pads for rank ${rank}`);
    const shape = x.shape.map((d, i) => {
      if (pads[i] === 0 && pads[i + rank] === 0) return d;
      if (d === 'N') fail('Pad: cannot pad the batch dimension');
      return d + pads[i] + pads[i + rank];
    });
    return [{ dtype: x.dtype, shape }];
  },
  /** Constant padding: the input's gradient is the middle of the output's. */
  gradient: (b, node, [dY]): Gradients => {
    const mode = node.attrs.mode ?? 'constant';
    if (mode !== 'constant') throw new Error(`Pad mode '${mode}' has no gradient rule`);
    const pads = knownNumbers(b.info(node.inputs[1]), 'Pad', 'pads');
    const shape = b.info(node.inputs[0]).shape;
    const rank = shape.length;
    const axes = shape.map((_, i) => i).filter((i) => pads[i] !== 0 || pads[i + rank] !== 0);
    const starts = axes.map((i) => pads[i]);
    const ends = axes.map((i) => pads[i] + (shape[i] as number));
    const dX = axes.length === 0 ? dY! : slice(b, dY!, starts, ends, axes);
    return [dX, undefined, undefined];
  },
  since: 11,
  webgpu: true,
  cuda: true,
});

export const Expand = defineOp({
  name: 'Expand',
  doc: 'the input broadcast to a shape given as an input',
  inputs: ['input', 'shape'],
  indexInputs: ['shape'],
  outputs: ['output'],
  attrs: {},
  shape: ([x, shape]) => [
    { dtype: x.dtype, shape: broadcastShapes(targetShape(shape, 'Expand'), x.shape) },
  ],
  /** The driver sums the broadcast gradient back to the input's shape. */
  gradient: (_b, _node, [dY]): Gradients => [dY, undefined],
  since: 8,
  webgpu: true,
  cuda: true,
});

export const Gather = defineOp({
  name: 'Gather',
  doc: 'the entries of data at the indices along an axis',
  inputs: ['data', 'indices'],
  indexInputs: ['indices'],
  outputs: ['output'],
  attrs: { axis: 'int' },
  shape: ([data, indices], attrs) => {
    const axis = normalizeAxis(attrs.axis ?? 0, data.shape.length);
    const shape = [...data.shape.slice(0, axis), ...indices.shape, ...data.shape.slice(axis + 1)];
    return [{ dtype: data.dtype, shape }];
  },
  gradient: {
    unsupported: 'netspec gathers shapes, batch halves and flipped kernels inside gradients only',
  },
  since: 11,
  webgpu: true,
  cuda: true,
});
