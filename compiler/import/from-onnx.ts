// Turns an ONNX classification network into netspec layers: each ONNX node becomes a use of a
// registry layer (Conv → Conv2d, BatchNormalization → BatchNorm2d, Gemm → Linear, …) or a
// merge (Add, Concat), so an imported model is checked, lowered, differentiated, frozen and
// edited exactly like a network written in a spec.
import type { OnnxAttr, OnnxModel, OnnxNode } from '../onnx/read.js';
import { PathNamer, pathFromParameter, pathFromScope } from './names.js';

/** One imported layer or merge, before shapes are inferred. */
export type ImportedNode =
  | {
      kind: 'layer';
      path: string;
      layer: string;
      args: Record<string, number | boolean | string | number[]>;
      input: string;
      /** Pretrained values by ParamSpec name (`weight`, `running_mean`). */
      values: Record<string, Float32Array>;
      source: string;
    }
  | {
      kind: 'merge';
      path: string;
      op: 'add' | 'concat';
      inputs: string[];
      axis: number;
      source: string;
    };

export interface ImportedGraph {
  input: { name: string; dims: (number | string)[] };
  output: string;
  nodes: ImportedNode[];
  /** `<op> (node '<name>')` for each node netspec cannot import. */
  unsupported: string[];
}

type Conversion =
  | {
      layer: string;
      args: Record<string, number | boolean | string | number[]>;
      params?: Record<string, string>;
    }
  | { merge: 'add' | 'concat'; axis?: number }
  | { alias: true }
  | { unsupported: string };

const ints = (a: OnnxAttr | undefined, fallback: number[]) => (Array.isArray(a) ? a : fallback);
const num = (a: OnnxAttr | undefined, fallback: number) => (typeof a === 'number' ? a : fallback);

/** ONNX pads [top, left, bottom, right] → PyTorch padding, when symmetric. */
function padding(node: OnnxNode): [number, number] | undefined {
  const [t, l, b, r] = ints(node.attrs.pads, [0, 0, 0, 0]);
  return t === b && l === r ? [t, l] : undefined;
}

function conv(node: OnnxNode, model: OnnxModel): Conversion {
  const weight = model.initializers.get(node.inputs[1]);
  const pads = padding(node);
  if (!weight || weight.dims.length !== 4)
    return { unsupported: 'Conv whose weight is not a 2-D kernel initializer' };
  if (!pads) return { unsupported: 'Conv with asymmetric padding' };
  const groups = num(node.attrs.group, 1);
  const [out, inPerGroup, kh, kw] = weight.dims;
  return {
    layer: 'Conv2d',
    args: {
      in_channels: inPerGroup * groups,
      out_channels: out,
      kernel_size: ints(node.attrs.kernel_shape, [kh, kw]),
      stride: ints(node.attrs.strides, [1, 1]),
      padding: pads,
      dilation: ints(node.attrs.dilations, [1, 1]),
      groups,
      bias: node.inputs.length > 2 && node.inputs[2] !== '',
    },
    params: { weight: node.inputs[1], bias: node.inputs[2] },
  };
}

function batchNorm(node: OnnxNode, model: OnnxModel): Conversion {
  const scale = model.initializers.get(node.inputs[1]);
  if (!scale) return { unsupported: 'BatchNormalization whose scale is not an initializer' };
  return {
    // ONNX keeps `momentum` of the old statistics; PyTorch's is the weight of the new batch.
    layer: 'BatchNorm2d',
    args: {
      num_features: scale.dims[0],
      eps: num(node.attrs.epsilon, 1e-5),
      momentum: 1 - num(node.attrs.momentum, 0.9),
    },
    params: {
      weight: node.inputs[1],
      bias: node.inputs[2],
      running_mean: node.inputs[3],
      running_var: node.inputs[4],
    },
  };
}

function pool(node: OnnxNode, layer: 'MaxPool2d' | 'AvgPool2d'): Conversion {
  const pads = padding(node);
  if (!pads) return { unsupported: `${node.op} with asymmetric padding` };
  const kernel = ints(node.attrs.kernel_shape, []);
  const args: Record<string, number | boolean | number[]> = {
    kernel_size: kernel,
    stride: ints(node.attrs.strides, [1, 1]),
    padding: pads,
    ceil_mode: num(node.attrs.ceil_mode, 0) === 1,
  };
  if (layer === 'MaxPool2d') args.dilation = ints(node.attrs.dilations, [1, 1]);
  else args.count_include_pad = num(node.attrs.count_include_pad, 0) === 1;
  return { layer, args };
}

function gemm(node: OnnxNode, model: OnnxModel): Conversion {
  const weight = model.initializers.get(node.inputs[1]);
  const plain =
    num(node.attrs.alpha, 1) === 1 && num(node.attrs.beta, 1) === 1 && !num(node.attrs.transA, 0);
  if (!weight || !plain || !num(node.attrs.transB, 0)) {
    return { unsupported: 'Gemm other than x·Wᵀ + b with W an initializer' };
  }
  return {
    layer: 'Linear',
    args: {
      in_features: weight.dims[1],
      out_features: weight.dims[0],
      bias: node.inputs.length > 2,
    },
    params: { weight: node.inputs[1], bias: node.inputs[2] },
  };
}

const simple = (layer: string, args: Record<string, number | string> = {}): Conversion => ({
  layer,
  args,
});

const CONVERSIONS: Record<string, (node: OnnxNode, model: OnnxModel) => Conversion> = {
  Conv: conv,
  BatchNormalization: batchNorm,
  Gemm: gemm,
  MaxPool: (n) => pool(n, 'MaxPool2d'),
  AveragePool: (n) => pool(n, 'AvgPool2d'),
  GlobalAveragePool: () => simple('AdaptiveAvgPool2d', { output_size: 1 }),
  Relu: () => simple('ReLU'),
  Sigmoid: () => simple('Sigmoid'),
  Tanh: () => simple('Tanh'),
  LeakyRelu: (n) => simple('LeakyReLU', { negative_slope: num(n.attrs.alpha, 0.01) }),
  Elu: (n) => simple('ELU', { alpha: num(n.attrs.alpha, 1) }),
  Softmax: (n) => simple('Softmax', { dim: num(n.attrs.axis, -1) }),
  LogSoftmax: (n) => simple('LogSoftmax', { dim: num(n.attrs.axis, -1) }),
  Flatten: (n) =>
    num(n.attrs.axis, 1) === 1 ? simple('Flatten') : { unsupported: 'Flatten with axis ≠ 1' },
  Add: (n, m) =>
    n.inputs.some((i) => m.initializers.has(i))
      ? { unsupported: 'Add of a constant' }
      : { merge: 'add' },
  Concat: (n) => ({ merge: 'concat', axis: num(n.attrs.axis, 1) }),
  Identity: () => ({ alias: true }),
  Dropout: () => ({ alias: true }),
};

/** The versions whose operator semantics the conversions above were written against. */
export const SUPPORTED_OPSETS = { min: 7, max: 21 };
export const SUPPORTED_IR_VERSIONS = { min: 3, max: 10 };

/** What makes a model unimportable as a whole (version, graph shape), or undefined. */
export function versionProblem(model: OnnxModel): string | undefined {
  const { opset, irVersion } = model;
  if (opset < SUPPORTED_OPSETS.min || opset > SUPPORTED_OPSETS.max) {
    return `opset ${opset} is outside the supported range ${SUPPORTED_OPSETS.min}–${SUPPORTED_OPSETS.max}`;
  }
  if (irVersion < SUPPORTED_IR_VERSIONS.min || irVersion > SUPPORTED_IR_VERSIONS.max) {
    return `IR version ${irVersion} is outside the supported range ${SUPPORTED_IR_VERSIONS.min}–${SUPPORTED_IR_VERSIONS.max}`;
  }
  if (model.inputs.length !== 1)
    return `the graph has ${model.inputs.length} inputs; netspec imports networks with one`;
  if (model.outputs.length !== 1)
    return `the graph has ${model.outputs.length} outputs; netspec imports networks with one`;
  return undefined;
}

export function importGraph(model: OnnxModel): ImportedGraph {
  const namer = new PathNamer();
  const valueOf = new Map<string, string>(); // ONNX tensor → netspec value (a path or the input)
  const [input] = model.inputs;
  valueOf.set(input.name, input.name);
  namer.name(input.name, 'input');
  const nodes: ImportedNode[] = [];
  const unsupported: string[] = [];
  for (const node of model.nodes) {
    const convert = CONVERSIONS[node.op];
    const conversion: Conversion = convert ? convert(node, model) : { unsupported: node.op };
    const source = `${node.op} node '${node.name}'`;
    if ('unsupported' in conversion) {
      unsupported.push(`${conversion.unsupported} (node '${node.name}')`);
      continue;
    }
    const inputs = node.inputs
      .filter((i) => i !== '' && !model.initializers.has(i))
      .map((i) => valueOf.get(i) ?? i);
    if ('alias' in conversion) {
      valueOf.set(node.outputs[0], inputs[0]);
      continue;
    }
    const preferred =
      ('params' in conversion &&
        conversion.params?.weight &&
        pathFromParameter(conversion.params.weight)) ||
      pathFromScope(node);
    if ('merge' in conversion) {
      const path = namer.name(preferred, conversion.merge);
      nodes.push({
        kind: 'merge',
        path,
        op: conversion.merge,
        inputs,
        axis: conversion.axis ?? 0,
        source,
      });
      valueOf.set(node.outputs[0], path);
      continue;
    }
    const path = namer.name(preferred, conversion.layer);
    const values: Record<string, Float32Array> = {};
    for (const [param, tensorName] of Object.entries(conversion.params ?? {})) {
      const data = tensorName ? model.initializers.get(tensorName)?.data : undefined;
      if (data instanceof Float32Array) values[param] = data;
    }
    nodes.push({
      kind: 'layer',
      path,
      layer: conversion.layer,
      args: conversion.args,
      input: inputs[0],
      values,
      source,
    });
    valueOf.set(node.outputs[0], path);
  }
  const output = valueOf.get(model.outputs[0]?.name ?? '') ?? '';
  return { input: { name: input.name, dims: input.dims }, output, nodes, unsupported };
}
