// Matrix products: Gemm (Linear layers, their gradients, dense convolutions) and MatMul
// (batched products in the convolution gradients).
import { transposed } from '../import/constants.js';
import type { Conversion, ImportContext } from '../import/conversion.js';
import { attrNumber } from '../import/conversion.js';
import type { OnnxNode } from '../onnx/read.js';
import type { Gradients } from './op.js';
import { defineOp, fail } from './op.js';
import { broadcastShapes } from './shapes.js';
import { onnx } from './index.js';

export const Gemm = defineOp({
  name: 'Gemm',
  doc: 'α·op(A)·op(B) + β·C, op transposing where transA/transB is set',
  inputs: ['A', 'B', 'C?'],
  outputs: ['Y'],
  attrs: { alpha: 'float', beta: 'float', transA: 'int', transB: 'int' },
  shape: ([a, b], attrs) => {
    const [m, ka] = attrs.transA ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
    const [kb, n] = attrs.transB ? [b.shape[1], b.shape[0]] : [b.shape[0], b.shape[1]];
    if (ka !== kb) fail(`Gemm inner dimensions differ: ${ka} and ${kb}`);
    return [{ dtype: a.dtype, shape: [m, n] }];
  },
  gradient: (b, node, [dY], needed): Gradients => {
    const [A, B] = node.inputs;
    const tA = node.attrs.transA ?? 0;
    const tB = node.attrs.transB ?? 0;
    const alpha = node.attrs.alpha ?? 1;
    const beta = node.attrs.beta ?? 1;
    const g = dY!;
    // dA = α·dY·op(B)ᵀ, laid out like A; dB = α·op(A)ᵀ·dY, laid out like B.
    const dA = !needed[0]
      ? undefined
      : tA
        ? b.op(onnx.Gemm, [B, g], { alpha, transA: tB, transB: 1 })
        : b.op(onnx.Gemm, [g, B], { alpha, transB: tB ? 0 : 1 });
    const dB = !needed[1]
      ? undefined
      : tB
        ? b.op(onnx.Gemm, [g, A], { alpha, transA: 1, transB: tA })
        : b.op(onnx.Gemm, [A, g], { alpha, transA: tA ? 0 : 1 });
    const dC = needed[2] ? (beta === 1 ? g : b.op(onnx.Mul, [g, b.scalar(beta)])) : undefined;
    return [dA, dB, dC];
  },
  since: 11,
  webgpu: true,
  cuda: true,
  import: importGemm,
});

function importGemm(node: OnnxNode, { known }: ImportContext): Conversion {
  const weight = known.constant(node.inputs[1]);
  const plain =
    attrNumber(node.attrs.alpha, 1) === 1 &&
    attrNumber(node.attrs.beta, 1) === 1 &&
    !attrNumber(node.attrs.transA, 0);
  if (!weight || weight.dims.length !== 2 || !plain) {
    return { unsupported: 'Gemm other than x·W + b with W an initializer' };
  }
  const bias = node.inputs.length > 2 && node.inputs[2] !== '';
  if (attrNumber(node.attrs.transB, 0)) {
    return {
      layer: 'Linear',
      args: { in_features: weight.dims[1], out_features: weight.dims[0], bias },
      params: { weight: node.inputs[1], bias: node.inputs[2] },
    };
  }
  // x·W with W [in, out]: torch's weight is Wᵀ.
  const [inFeatures, outFeatures] = weight.dims;
  return {
    layer: 'Linear',
    args: { in_features: inFeatures, out_features: outFeatures, bias },
    params: { bias: node.inputs[2] },
    values: { weight: transposed(weight.data, inFeatures, outFeatures) },
  };
}

export const MatMul = defineOp({
  name: 'MatMul',
  doc: 'the matrix product of A and B, or of stacks of them (leading dimensions broadcast)',
  inputs: ['A', 'B'],
  outputs: ['Y'],
  attrs: {},
  shape: ([a, b]) => {
    if (a.shape.length < 2 || b.shape.length < 2) fail('MatMul: operands must be at least 2-D');
    const [m, ka] = a.shape.slice(-2);
    const [kb, n] = b.shape.slice(-2);
    if (ka !== kb) fail(`MatMul inner dimensions differ: ${ka} and ${kb}`);
    const lead = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2));
    return [{ dtype: a.dtype, shape: [...lead, m, n] }];
  },
  /** dA = dY·Bᵀ, dB = Aᵀ·dY, transposing the last two axes (the driver sums broadcast ones). */
  gradient: (b, node, [dY], needed): Gradients => {
    const [A, B] = node.inputs;
    const swapLast = (v: string) => {
      const rank = b.info(v).shape.length;
      const perm = [...Array(rank).keys()];
      [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
      return b.op(onnx.Transpose, [v], { perm });
    };
    return [
      needed[0] ? b.op(onnx.MatMul, [dY!, swapLast(B)]) : undefined,
      needed[1] ? b.op(onnx.MatMul, [swapLast(A), dY!]) : undefined,
    ];
  },
  since: 9,
  webgpu: true,
  cuda: true,
  import: importMatMul,
});

/**
 * MatMul by a constant [in, out] matrix is a Linear without bias; followed by an Add of a
 * constant [out] vector (what torch exports for Linear on some inputs, or `x @ W + b`), the
 * Add becomes its bias.
 */
function importMatMul(node: OnnxNode, { known, consumers }: ImportContext): Conversion {
  const weight = known.constant(node.inputs[1]);
  if (!weight || weight.dims.length !== 2 || known.has(node.inputs[0]))
    return { unsupported: 'MatMul other than x·W with W a 2-D constant' };
  const [inFeatures, outFeatures] = weight.dims;
  const values: Record<string, Float32Array> = {
    weight: transposed(weight.data, inFeatures, outFeatures),
  };
  const readers = consumers.get(node.outputs[0]) ?? [];
  const add = readers.length === 1 && readers[0].op === 'Add' ? readers[0] : undefined;
  const biasName = add?.inputs.find((i) => i !== node.outputs[0]);
  const bias = known.constant(biasName);
  const fused = add && bias && bias.data.length === outFeatures && bias.dims.at(-1) === outFeatures;
  if (fused) values.bias = Float32Array.from(bias.data, Number);
  return {
    layer: 'Linear',
    args: { in_features: inFeatures, out_features: outFeatures, bias: Boolean(fused) },
    params: { weight: node.inputs[1] },
    values,
    fused: fused ? [add] : [],
  };
}
