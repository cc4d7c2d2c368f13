// Shape rules for the elementwise activations, the math ops that normalization and GELU are
// built from, and the softmax family (https://onnx.ai/onnx/operators/, opset 18). They all
// keep their input's shape, except Pow, which broadcasts (Max is in ops.ts). Only ops.ts
// imports this file (it spreads the table into OPS), which keeps the import cycle harmless.
import type { AttrValue, DType, Shape, ValueInfo } from './graph.js';
import { broadcastShapes, ShapeError } from './ops.js';

type OutputType = { dtype: DType; shape: Shape };
type ShapeRule = (inputs: ValueInfo[], attrs: Record<string, AttrValue>) => OutputType[];

const same: ShapeRule = ([x]) => [{ dtype: x.dtype, shape: x.shape }];

const broadcast: ShapeRule = (inputs) => [
  { dtype: inputs[0].dtype, shape: inputs.map((v) => v.shape).reduce(broadcastShapes) },
];

/** Softmax and LogSoftmax normalize along one axis (opset 13 and later). */
const alongAxis: ShapeRule = ([x], attrs) => {
  const axis = typeof attrs['axis'] === 'number' ? attrs['axis'] : -1;
  const rank = x.shape.length;
  if (axis < -rank || axis >= rank)
    throw new ShapeError(`axis ${axis} is out of range for rank ${rank}`);
  return [{ dtype: x.dtype, shape: x.shape }];
};

export const ACTIVATION_OPS: Record<string, ShapeRule> = {
  Sigmoid: same,
  Tanh: same,
  Softplus: same,
  LeakyRelu: same,
  Elu: same,
  Erf: same,
  Log: same,
  Pow: broadcast,
  Softmax: alongAxis,
  LogSoftmax: alongAxis,
};
