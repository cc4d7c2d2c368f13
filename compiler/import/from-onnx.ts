// Turns an ONNX classification network into netspec layers: each ONNX node becomes a use of a
// registry layer (Conv → Conv2d, BatchNormalization → BatchNorm2d, Gemm → Linear, Add → Add,
// …) by its op's import rule, so an imported model is checked, lowered,
// differentiated, frozen and edited exactly like a network written in a spec.
import type { OnnxModel, OnnxNode } from '../onnx/read.js';
import { isOpType, opDef } from '../ops/index.js';
import { KnownValues } from './constants.js';
import type { Conversion, ImportContext, LayerArgs } from './conversion.js';
import { PathNamer, pathFromParameter, pathFromScope } from './names.js';

/** One imported layer use (Add and Concat take several inputs), before shapes are inferred. */
export interface ImportedNode {
  path: string;
  layer: string;
  args: LayerArgs;
  inputs: string[];
  /** Pretrained values by ParamSpec name (`weight`, `running_mean`). */
  values: Record<string, Float32Array>;
  source: string;
  /** The output shape (batch excluded) the ONNX node asked for, checked once shapes are known. */
  expect?: number[];
}

export interface ImportedGraph {
  input: { name: string; dims: (number | string)[] };
  output: string;
  nodes: ImportedNode[];
  /** `<op> (node '<name>')` for each node netspec cannot import. */
  unsupported: string[];
}

/**
 * How a node becomes a layer: its op's import rule (ops/, `import`). ONNX's Dropout is not an
 * op netspec emits (its Dropout layer draws its own mask); an imported one is inference's
 * identity.
 */
function conversionOf(node: OnnxNode, ctx: ImportContext): Conversion {
  if (node.op === 'Dropout') return { alias: true };
  const rule = isOpType(node.op) ? opDef(node.op).import : undefined;
  return rule ? rule(node, ctx) : { unsupported: node.op };
}

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
  const ctx: ImportContext = { model, known, consumers };
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
    const conversion: Conversion =
      evaluated === 'unsupported'
        ? { unsupported: `${node.op} of values other than constants or Shape(x)[0]` }
        : conversionOf(node, ctx);
    const source = `${node.op} node '${node.name}'`;
    if ('unsupported' in conversion) {
      unsupported.push(`${conversion.unsupported} (node '${node.name}')`);
      continue;
    }
    const inputs = node.inputs
      .filter((i) => i !== '' && !known.has(i))
      .map((i) => valueOf.get(i) ?? i);
    // Every layer reads at least one tensor; a file can still give a node none.
    if (inputs.length === 0) {
      unsupported.push(`${source} that reads no tensor`);
      continue;
    }
    if ('alias' in conversion) {
      valueOf.set(node.outputs[0], inputs[0]);
      continue;
    }
    const preferred =
      ('params' in conversion &&
        conversion.params?.weight &&
        pathFromParameter(conversion.params.weight)) ||
      pathFromScope(node);
    const path = namer.name(preferred, conversion.layer);
    const values: Record<string, Float32Array> = { ...conversion.values };
    for (const [param, tensorName] of Object.entries(conversion.params ?? {})) {
      const data = tensorName && !values[param] ? known.constant(tensorName)?.data : undefined;
      if (data instanceof Float32Array) values[param] = data;
    }
    nodes.push({
      path,
      layer: conversion.layer,
      args: conversion.args,
      inputs,
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
