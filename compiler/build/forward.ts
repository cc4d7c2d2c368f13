// Lowers a checked model to IR: each layer instance emits its nodes under its module path.
import type { Model, ModelNode } from '../check/model.js';
import type { GraphBuilder } from '../ir/builder.js';
import type { LowerContext } from '../layers/layer.js';

/**
 * Emits the forward computation of `model` reading its input from `input`, with each parameter
 * supplied by `param(fullName)` (a graph input when trained, an initializer when exported).
 */
export function lowerModel(
  b: GraphBuilder,
  model: Model,
  input: string,
  param: (name: string) => string,
  ctx: LowerContext = { mode: 'eval' },
): { output: string; bufferUpdates: Map<string, string> } {
  const values = new Map<string, string>([[model.input.name, input]]);
  const bufferUpdates = new Map<string, string>();
  for (const node of model.layers) {
    const inputs = node.inputs.map((name) => values.get(name)!);
    const result = b.within(node.path, () => lowerNode(b, node, inputs, param, ctx));
    if (typeof result === 'string') values.set(node.path, result);
    else {
      values.set(node.path, result.output);
      for (const [name, value] of Object.entries(result.updates)) {
        bufferUpdates.set(`${node.path}.${name}`, value);
      }
    }
  }
  return { output: values.get(model.output)!, bufferUpdates };
}

function lowerNode(
  b: GraphBuilder,
  node: ModelNode,
  inputs: string[],
  param: (name: string) => string,
  ctx: LowerContext,
) {
  if (node.kind === 'merge') {
    if (node.op === 'add')
      return inputs.slice(1).reduce((sum, x) => b.op('Add', [sum, x]), inputs[0]);
    return b.op('Concat', inputs, { axis: node.axis });
  }
  const params: Record<string, string> = {};
  for (const p of node.params) params[p.name] = param(`${node.path}.${p.name}`);
  // A frozen layer computes as in eval mode (batch norm from its running statistics, which
  // stay as they are) unless it keeps batch statistics; layers without parameters, such as
  // Dropout, cannot be frozen.
  const frozen = node.frozen === true && node.params.length > 0 && node.batchStats !== true;
  const own: LowerContext = frozen ? { mode: 'eval', internal: ctx.internal } : ctx;
  return node.def.lower(b, inputs[0], params, node.args, own);
}
