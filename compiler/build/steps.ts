// Builds the three graphs of a recipe: the training step (forward, loss, backward, optimizer
// update in one graph), the evaluation step (loss and accuracy, no update) and the inference
// model (weights inside, for export).
import type { Model, Recipe } from '../check/model.js';
import { backward } from '../autodiff/backward.js';
import { GraphBuilder } from '../ir/builder.js';
import type { DType, Graph } from '../ir/graph.js';
import { tensor } from '../ir/graph.js';
import {
  bufferShapes,
  frozenShapes,
  initialParameters,
  parameterShapes,
  trainableShapes,
} from '../init.js';
import type { LowerContext } from '../layers/layer.js';
import { lowerModel } from './forward.js';
import type { Role, TensorEntry } from './manifest.js';

export interface BuiltGraph {
  graph: Graph;
  inputs: TensorEntry[];
  outputs: TensorEntry[];
}

export interface StepOptions {
  /** float64 builds the same graph in double precision (for finite-difference checks). */
  floatType?: DType;
  /** Also output each parameter's gradient. */
  gradients?: boolean;
}

class RoleGraph {
  readonly b: GraphBuilder;
  readonly inputs: TensorEntry[] = [];
  readonly outputs: TensorEntry[] = [];

  constructor(name: string, floatType: DType) {
    this.b = new GraphBuilder(name, floatType);
  }

  input(name: string, dtype: DType, shape: TensorEntry['shape'], role: Role): string {
    this.b.input(name, dtype, shape);
    this.inputs.push({ name, dtype, shape, role });
    return name;
  }

  /** Publishes `value` as graph output `name` (through an Identity, so names stay readable). */
  output(value: string, name: string, role: Role): void {
    const out = this.b.op('Identity', [value], {}, name);
    this.b.output(out);
    const info = this.b.info(out);
    this.outputs.push({ name, dtype: info.dtype, shape: info.shape, role });
  }

  done(): BuiltGraph {
    return { graph: this.b.graph, inputs: this.inputs, outputs: this.outputs };
  }
}

function batchInputs(g: RoleGraph, model: Model): { x: string; labels: string } {
  const x = g.input(model.input.name, g.b.floatType, model.input.shape, { kind: 'images' });
  const labels = g.input('labels', 'int64', ['N'], { kind: 'labels' });
  return { x, labels };
}

function paramInputs(g: RoleGraph, model: Model): Map<string, string> {
  const params = new Map<string, string>();
  for (const [name, shape] of trainableShapes(model)) {
    params.set(name, g.input(name, g.b.floatType, shape, { kind: 'param', param: name }));
  }
  return params;
}

/** Buffers are graph inputs beside the parameters; the train step also outputs their next values. */
function bufferInputs(g: RoleGraph, model: Model): Map<string, string> {
  const buffers = new Map<string, string>();
  for (const [name, shape] of bufferShapes(model)) {
    buffers.set(name, g.input(name, g.b.floatType, shape, { kind: 'buffer', buffer: name }));
  }
  return buffers;
}

/**
 * Frozen layers' parameters and buffers are initializers of the step graphs, not inputs: they
 * take no gradient, no optimizer state and no feed (their values: pretrained or initial).
 */
function frozenConstants(g: RoleGraph, recipe: Recipe): Map<string, string> {
  const constants = new Map<string, string>();
  const shapes = frozenShapes(recipe.model);
  if (shapes.size === 0) return constants;
  const values = initialParameters(recipe.model, recipe.seed);
  const { b } = g;
  for (const [name, shape] of shapes) {
    const data = values.get(name)!;
    const typed = b.floatType === 'float64' ? Float64Array.from(data) : data;
    constants.set(name, b.initializer(name, tensor(b.floatType, shape, typed)));
  }
  return constants;
}

/** Number of correctly classified examples in the batch, as a float scalar. */
function correctCount(b: GraphBuilder, logits: string, labels: string): string {
  const predicted = b.op('ArgMax', [logits], { axis: 1, keepdims: 0 });
  const hits = b.op('Cast', [b.op('Equal', [predicted, labels])], { to: b.floatType });
  return b.reduceSum(hits, [0], false);
}

function lossAndMetrics(
  g: RoleGraph,
  recipe: Recipe,
  state: Map<string, string>,
  ctx: LowerContext,
) {
  const { b } = g;
  const { x, labels } = batchInputs(g, recipe.model);
  const lowered = lowerModel(b, recipe.model, x, (name) => state.get(name)!, ctx);
  const logits = lowered.output;
  const loss = b.within('loss', () => recipe.loss.def.build(b, logits, labels, recipe.loss.args));
  const correct = b.within('metrics', () => correctCount(b, logits, labels));
  return { loss, correct, bufferUpdates: lowered.bufferUpdates };
}

export function buildTrainStep(recipe: Recipe, options: StepOptions = {}): BuiltGraph {
  const g = new RoleGraph(`${recipe.name}.train`, options.floatType ?? 'float32');
  const { b } = g;
  const { def: optimizer, args } = recipe.optimizer;
  const params = paramInputs(g, recipe.model);
  const buffers = bufferInputs(g, recipe.model);
  const slots = optimizer.slots(args);
  const state = new Map<string, Record<string, string>>();
  for (const [name, value] of params) {
    const shape = b.info(value).shape;
    const entries = slots.map((slot) => [
      slot,
      g.input(`${name}.${slot}`, b.floatType, shape, { kind: 'state', param: name, slot }),
    ]);
    state.set(name, Object.fromEntries(entries));
  }
  const lr = g.input('lr', b.floatType, [], { kind: 'lr' });
  const step = g.input('step', 'int64', [], { kind: 'step' });
  // The batch inputs come after the parameters in the lowering but are declared first by name.
  const ctx: LowerContext = { mode: 'train', step, seed: recipe.seed };
  const all = new Map([...params, ...buffers, ...frozenConstants(g, recipe)]);
  const { loss, correct, bufferUpdates } = lossAndMetrics(g, recipe, all, ctx);
  // Buffers are not in `wrt`: they never get gradients.
  const grads = b.within('backward', () => backward(b, loss, [...params.values()]));
  g.output(loss, 'loss', { kind: 'loss' });
  g.output(correct, 'correct', { kind: 'correct' });
  for (const name of buffers.keys()) {
    const next = bufferUpdates.get(name);
    if (!next) throw new Error(`buffer '${name}' has no train-mode update`);
    g.output(next, `${name}.next`, { kind: 'buffer', buffer: name });
  }
  for (const [name, param] of params) {
    const grad = grads.get(param)!;
    const updated = b.within(`optimizer/${name}`, () =>
      optimizer.update(b, { param, grad, state: state.get(name)!, lr, step }, args),
    );
    g.output(updated.param, `${name}.next`, { kind: 'param', param: name });
    for (const slot of slots) {
      g.output(updated.state[slot], `${name}.${slot}.next`, { kind: 'state', param: name, slot });
    }
    if (options.gradients) g.output(grad, `${name}.grad`, { kind: 'gradient', param: name });
  }
  return g.done();
}

export function buildEvalStep(recipe: Recipe): BuiltGraph {
  const g = new RoleGraph(`${recipe.name}.eval`, 'float32');
  const params = paramInputs(g, recipe.model);
  const buffers = bufferInputs(g, recipe.model);
  const state = new Map([...params, ...buffers, ...frozenConstants(g, recipe)]);
  const { loss, correct } = lossAndMetrics(g, recipe, state, { mode: 'eval' });
  g.output(loss, 'loss', { kind: 'loss' });
  g.output(correct, 'correct', { kind: 'correct' });
  return g.done();
}

export function buildInference(
  model: Model,
  weights: ReadonlyMap<string, Float32Array>,
): BuiltGraph {
  const g = new RoleGraph(model.name, 'float32');
  const { b } = g;
  const x = g.input(model.input.name, 'float32', model.input.shape, { kind: 'images' });
  const shapes = parameterShapes(model);
  // Parameters and buffers alike become initializers; eval mode reads the running statistics.
  const { output: logits } = lowerModel(b, model, x, (name) => {
    const data = weights.get(name);
    if (!data) throw new Error(`no weights for parameter '${name}'`);
    return b.initializer(name, tensor('float32', shapes.get(name)!, data));
  });
  g.output(logits, 'logits', { kind: 'logits' });
  return g.done();
}
