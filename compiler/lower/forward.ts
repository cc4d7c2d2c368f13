// Lowers a checked model to IR: each layer instance emits its nodes under its module path.
import type { GraphBuilder } from '../ir/builder.js';
import type { Model, ModelNode } from '../vocabulary/model.js';
import type { LowerContext } from '../vocabulary/defs.js';

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
  const steps = ctx.internal ? poolBeforeRelu(model) : model.layers.map(inPlace);
  for (const { node, inputs, output } of steps) {
    const args = inputs.map((name) => values.get(name)!);
    const result = b.within(node.path, () => lowerNode(b, node, args, param, ctx));
    if (typeof result === 'string') values.set(output, result);
    else {
      values.set(output, result.output);
      for (const [name, value] of Object.entries(result.updates)) {
        bufferUpdates.set(`${node.path}.${name}`, value);
      }
    }
  }
  return { output: values.get(model.output)!, bufferUpdates };
}

/** A node to lower, the values it reads and the name its result is known by. */
interface Step {
  node: ModelNode;
  inputs: string[];
  output: string;
}

const inPlace = (node: ModelNode): Step => ({ node, inputs: node.inputs, output: node.path });

/**
 * The layers in evaluation order, with each `ReLU → MaxPool2d` pair whose ReLU feeds only the
 * pool swapped to `MaxPool2d → ReLU`. ReLU is monotone, so max(relu(x)) = relu(max(x)) — the
 * same values, and the same gradient, since a window whose maximum is ≤ 0 passes none either
 * way — but the ReLU and its mask then cover a quarter of the elements (a 2×2 pool). Training
 * and evaluation graphs only: exports keep the spec's order.
 */
function poolBeforeRelu(model: Model): Step[] {
  const readers = new Map<string, number>([[model.output, 1]]);
  for (const node of model.layers)
    for (const name of node.inputs) readers.set(name, (readers.get(name) ?? 0) + 1);
  const steps = model.layers.map(inPlace);
  for (let i = 0; i + 1 < steps.length; i++) {
    const [relu, pool] = [steps[i].node, steps[i + 1].node];
    if (relu.def.name !== 'ReLU') continue;
    if (pool.def.name !== 'MaxPool2d') continue;
    if (pool.inputs[0] !== relu.path || readers.get(relu.path) !== 1) continue;
    // The pool reads what the ReLU read; the ReLU reads the pool's result and publishes it
    // under the pool's name, which the rest of the model reads.
    steps.splice(
      i,
      2,
      { node: pool, inputs: relu.inputs, output: `${pool.path}:before-relu` },
      { node: relu, inputs: [`${pool.path}:before-relu`], output: pool.path },
    );
  }
  return steps;
}

function lowerNode(
  b: GraphBuilder,
  node: ModelNode,
  inputs: string[],
  param: (name: string) => string,
  ctx: LowerContext,
) {
  const params: Record<string, string> = {};
  for (const p of node.params) params[p.name] = param(`${node.path}.${p.name}`);
  // A frozen layer computes as in eval mode (batch norm from its running statistics, which
  // stay as they are) when frozen with `batch_stats: false`; by default a frozen batch norm
  // keeps batch statistics, as in PyTorch. Layers without parameters, such as Dropout, cannot
  // be frozen.
  const frozen = node.frozen === true && node.params.length > 0 && node.batchStats !== true;
  const own: LowerContext = frozen ? { mode: 'eval', internal: ctx.internal } : ctx;
  return node.def.lower(b, inputs, params, node.args, own);
}
