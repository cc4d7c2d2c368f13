// Every ONNX operator netspec emits or imports, one entry per op (families in the files beside
// this one). Lowerings name ops through this table (`onnx.Mul`), so an op it does not define,
// or an attribute its op does not declare, is a compile error, and so is an entry without a
// gradient rule (or a mark saying why it has none), an opset, a WebGPU or a CUDA verdict.
import type { AttrValues, OpDef } from './op.js';
import {
  Clip,
  Elu,
  HardSigmoid,
  HardSwish,
  LeakyRelu,
  LogSoftmax,
  Relu,
  Sigmoid,
  Softmax,
  Softplus,
  Tanh,
} from './activation.js';
import { Abs, Add, Div, Erf, Exp, Log, Max, Mul, Neg, Pow, Sign, Sqrt, Sub } from './arithmetic.js';
import { Loop } from './control.js';
import { Col2Im, Conv, ConvTranspose } from './conv.js';
import { Constant, ConstantOfShape, Range, Shape, Size } from './creation.js';
import {
  Concat,
  Expand,
  Flatten,
  Gather,
  Identity,
  Pad,
  Reshape,
  Slice,
  StopGradient,
  Transpose,
  Unsqueeze,
} from './layout.js';
import { Gemm, MatMul } from './linear.js';
import { BitShift, BitwiseXor, Cast, Equal, Greater, Less, Mod, Where } from './logic.js';
import { SoftmaxCrossEntropyLoss } from './loss.js';
import { NchwcConv, NchwcReorderInput, NchwcReorderOutput } from './nchwc.js';
import { BatchNormalization, BatchNormalizationOfBatch } from './normalization.js';
import { AveragePool, GlobalAveragePool, MaxPool, MaxUnpool, ScatterElements } from './pool.js';
import { ArgMax, CumSum, ReduceMax, ReduceMean, ReduceSum, ReduceSumSquare } from './reduce.js';

export const OPS = {
  Abs,
  Add,
  ArgMax,
  AveragePool,
  BatchNormalization,
  BatchNormalizationOfBatch,
  BitShift,
  BitwiseXor,
  Cast,
  Clip,
  Col2Im,
  Concat,
  Constant,
  ConstantOfShape,
  Conv,
  ConvTranspose,
  CumSum,
  Div,
  Elu,
  Equal,
  Erf,
  Exp,
  Expand,
  Flatten,
  Gather,
  Gemm,
  GlobalAveragePool,
  Greater,
  HardSigmoid,
  HardSwish,
  Identity,
  LeakyRelu,
  Less,
  Log,
  LogSoftmax,
  Loop,
  MatMul,
  Max,
  MaxPool,
  MaxUnpool,
  Mod,
  Mul,
  NchwcConv,
  NchwcReorderInput,
  NchwcReorderOutput,
  Neg,
  Pad,
  Pow,
  Range,
  ReduceMax,
  ReduceMean,
  ReduceSum,
  ReduceSumSquare,
  Relu,
  Reshape,
  ScatterElements,
  Shape,
  Sigmoid,
  Sign,
  Size,
  Slice,
  Softmax,
  SoftmaxCrossEntropyLoss,
  Softplus,
  Sqrt,
  StopGradient,
  Sub,
  Tanh,
  Transpose,
  Unsqueeze,
  Where,
};

/**
 * The ops as lowerings and gradient rules name them: `b.op(onnx.Mul, [x, y])`. A name the table
 * does not have, or an attribute its op does not declare, is a compile error.
 */
export const onnx = OPS;

export type OpType = keyof typeof OPS;

/** The attributes a node of `T` may carry, typed by its schema. */
export type AttrsOf<T extends OpType> = AttrValues<(typeof OPS)[T]['attrs']>;

/** Each entry is filed under its own name (a key and a name that differ are a compile error). */
export const namedAsKeyed: { [K in OpType]: { name: K } } = OPS;

export function isOpType(name: string): name is OpType {
  return Object.hasOwn(OPS, name);
}

/** The definition of a node's op: every node the builder makes has one. */
export function opDef(name: string): OpDef {
  if (!isOpType(name)) throw new Error(`netspec has no definition of ONNX op '${name}'`);
  return OPS[name] as unknown as OpDef;
}

export type { AttrKind, Gradients, OpDef, OpDomain } from './op.js';
export { NCHWC_DOMAIN } from './op.js';
