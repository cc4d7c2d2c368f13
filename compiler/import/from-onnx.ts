// Turns an ONNX classification network into netspec layers: each ONNX node becomes a use of a
// registry layer (Conv → Conv2d, BatchNormalization → BatchNorm2d, Gemm → Linear, …) or a
// merge (Add, Concat), so an imported model is checked, lowered, differentiated, frozen and
// edited exactly like a network written in a spec.
import type { OnnxAttr, OnnxModel, OnnxNode } from '../onnx/read.js';
import { KnownValues, transposed } from './constants.js';
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
      /** The output shape (batch excluded) the ONNX node asked for, checked once shapes are known. */
      expect?: number[];
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
      /** Parameters from constant tensors, by name. */
      params?: Record<string, string>;
      /** Parameters computed at import (a MatMul weight transposed), by ParamSpec name. */
      values?: Record<string, Float32Array>;
      /** Constant inputs consumed with the node (a fused Add's bias) and the nodes fused away. */
      fused?: OnnxNode[];
      expect?: number[];
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

/** What a conversion may look at: the model, known constants, and which nodes read a tensor. */
interface Context {
  model: OnnxModel;
  known: KnownValues;
  consumers: Map<string, OnnxNode[]>;
}

function conv(node: OnnxNode, { known }: Context): Conversion {
  const weight = known.constant(node.inputs[1]);
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

function batchNorm(node: OnnxNode, { known }: Context): Conversion {
  const scale = known.constant(node.inputs[1]);
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

function gemm(node: OnnxNode, { known }: Context): Conversion {
  const weight = known.constant(node.inputs[1]);
  const plain =
    num(node.attrs.alpha, 1) === 1 && num(node.attrs.beta, 1) === 1 && !num(node.attrs.transA, 0);
  if (!weight || weight.dims.length !== 2 || !plain) {
    return { unsupported: 'Gemm other than x·W + b with W an initializer' };
  }
  const bias = node.inputs.length > 2 && node.inputs[2] !== '';
  if (num(node.attrs.transB, 0)) {
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

/**
 * MatMul by a constant [in, out] matrix is a Linear without bias; followed by an Add of a
 * constant [out] vector (what torch exports for Linear on some inputs, or `x @ W + b`), the
 * Add becomes its bias.
 */
function matmul(node: OnnxNode, { known, consumers }: Context): Conversion {
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

/**
 * Clip(min, max) — bounds as inputs from opset 11, attributes before: ReLU6 for [0, 6], ReLU
 * for a lower bound of 0 alone, Hardtanh for other bounds.
 */
function clip(node: OnnxNode, { known }: Context): Conversion {
  const bound = (input: number, attr: string): number | undefined | null => {
    const name = node.inputs[input];
    if (name) {
      const c = known.constant(name);
      return c && c.data.length === 1 ? Number(c.data[0]) : null;
    }
    return typeof node.attrs[attr] === 'number' ? (node.attrs[attr] as number) : undefined;
  };
  const [lo, hi] = [bound(1, 'min'), bound(2, 'max')];
  if (lo === null || hi === null) return { unsupported: 'Clip whose bounds are not constants' };
  // Exporters write an absent bound as ±FLT_MAX.
  const low = lo === undefined || lo <= -3.4e38 ? undefined : lo;
  const high = hi === undefined || hi >= 3.4e38 ? undefined : hi;
  if (low === 0 && high === 6) return simple('ReLU6');
  if (low === 0 && high === undefined) return simple('ReLU');
  if (low === undefined || high === undefined)
    return { unsupported: 'Clip with only an upper bound, or only a nonzero lower one' };
  return simple('Hardtanh', { min_val: low, max_val: high });
}

/**
 * Reshape to a constant [batch, -1] or [batch, k] is Flatten (the batch written as the batch
 * size's symbol from Shape, as 0 (copy), or as -1 with k given); k is checked against the
 * flattened size once shapes are known. Other targets are not supported.
 */
function reshape(node: OnnxNode, { known, model }: Context): Conversion {
  const target = known.dims(node.inputs[1]);
  if (!target) return { unsupported: 'Reshape whose target shape is not a constant' };
  const exportBatch = model.inputs[0]?.dims[0];
  const [first, second] = target;
  const batchLike =
    first === 'N' || first === 0 || (typeof exportBatch === 'number' && first === exportBatch);
  const shown = `[${target.join(', ')}]`;
  if (target.length !== 2 || typeof second !== 'number')
    return { unsupported: `Reshape to ${shown} (netspec imports [N, -1] and [N, k], as Flatten)` };
  if (second === -1 && batchLike) return simple('Flatten');
  if (second > 0 && (batchLike || first === -1)) return { ...simple('Flatten'), expect: [second] };
  return { unsupported: `Reshape to ${shown} (netspec imports [N, -1] and [N, k], as Flatten)` };
}

const simple = (layer: string, args: Record<string, number | string> = {}): Conversion => ({
  layer,
  args,
});

const CONVERSIONS: Record<string, (node: OnnxNode, ctx: Context) => Conversion> = {
  Conv: conv,
  BatchNormalization: batchNorm,
  Gemm: gemm,
  MatMul: matmul,
  Clip: clip,
  Reshape: reshape,
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
  Add: (n, { known }) =>
    n.inputs.some((i) => known.has(i)) ? { unsupported: 'Add of a constant' } : { merge: 'add' },
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
  const known = new KnownValues(model);
  const consumers = new Map<string, OnnxNode[]>();
  for (const node of model.nodes) {
    for (const i of node.inputs) consumers.set(i, [...(consumers.get(i) ?? []), node]);
  }
  const ctx: Context = { model, known, consumers };
  const [input] = model.inputs;
  valueOf.set(input.name, input.name);
  namer.name(input.name, 'input');
  const nodes: ImportedNode[] = [];
  const unsupported: string[] = [];
  const fusedAway = new Map<OnnxNode, string>(); // an Add folded into a Linear → its output's path
  for (const node of model.nodes) {
    const fusedInto = fusedAway.get(node);
    if (fusedInto) {
      valueOf.set(node.outputs[0], fusedInto);
      continue;
    }
    // Constants and shape arithmetic are evaluated, not imported.
    const evaluated = known.evaluate(node);
    if (evaluated === true) continue;
    const convert = CONVERSIONS[node.op];
    const conversion: Conversion =
      evaluated === 'unsupported'
        ? { unsupported: `${node.op} of values other than constants or Shape(x)[0]` }
        : convert
          ? convert(node, ctx)
          : { unsupported: node.op };
    const source = `${node.op} node '${node.name}'`;
    if ('unsupported' in conversion) {
      unsupported.push(`${conversion.unsupported} (node '${node.name}')`);
      continue;
    }
    const inputs = node.inputs
      .filter((i) => i !== '' && !known.has(i))
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
    const values: Record<string, Float32Array> = { ...conversion.values };
    for (const [param, tensorName] of Object.entries(conversion.params ?? {})) {
      const data = tensorName && !values[param] ? known.constant(tensorName)?.data : undefined;
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
      ...(conversion.expect ? { expect: conversion.expect } : {}),
    });
    valueOf.set(node.outputs[0], path);
    for (const f of conversion.fused ?? []) fusedAway.set(f, path);
  }
  const output = valueOf.get(model.outputs[0]?.name ?? '') ?? '';
  return { input: { name: input.name, dims: input.dims }, output, nodes, unsupported };
}
