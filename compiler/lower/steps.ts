// Builds the three graphs of a recipe: the training step (forward, loss, backward, optimizer
// update in one graph), the evaluation step (loss and accuracy, no update) and the inference
// model (weights inside, for export).
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
import { groupOf } from '../check/regularization.js';
import { oneHot } from '../losses.js';
import type { Target } from '../targets.js';
import { integerType, stepsInLoop } from '../targets.js';
import { lowerModel } from './forward.js';
import type { ConvLowering } from './blocked-conv.js';
import { lowerBlockedConvs, STANDARD } from './blocked-conv.js';
import { dropUnread } from '../passes/drop-unread.js';
import { elideOutputIdentities } from '../passes/elide-output-identities.js';
import {
  batchHalves,
  clipGradients,
  globalNorm,
  halvesVariance,
  l2Penalty,
  samPerturb,
} from './regularize.js';
import type { Role, TensorEntry } from './manifest.js';
import { onnx } from '../ops/index.js';
import type { Model, Recipe } from '../vocabulary/model.js';
import type { LowerContext } from '../vocabulary/defs.js';
import { numberArg } from '../vocabulary/args.js';

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
  /**
   * Steps taken before a parameter began training (unfrozen by a later stage): its optimizer
   * counts steps from there, as torch's per-parameter state does (Adam's bias correction).
   */
  stepOffsets?: ReadonlyMap<string, number>;
  /** Trainable convolutions on onnxruntime's blocked CPU kernel, or standard ops (the default). */
  conv?: ConvLowering;
  /** The device the graphs are for (default cpu): lowerings pick ops it runs. */
  target?: Target;
  /**
   * Images are fed as their uint8 pixels and become floats in the graph, pixel × `pixelScale`
   * exactly as the loader computes them (ToTensor, with no other transform): a quarter of the
   * bytes to move to a device.
   */
  pixelScale?: number;
}

class RoleGraph {
  readonly b: GraphBuilder;
  readonly inputs: TensorEntry[] = [];
  readonly outputs: TensorEntry[] = [];

  constructor(
    name: string,
    readonly options: StepOptions = {},
  ) {
    this.b = new GraphBuilder(name, options.floatType ?? 'float32', options.target ?? 'cpu');
    this.b.convBlock = (options.conv ?? STANDARD).block;
  }

  input(name: string, dtype: DType, shape: TensorEntry['shape'], role: Role): string {
    this.b.input(name, dtype, shape);
    this.inputs.push({ name, dtype, shape, role });
    return name;
  }

  /** Publishes `value` as graph output `name` (through an Identity, so names stay readable). */
  output(value: string, name: string, role: Role): void {
    const out = this.b.op(onnx.Identity, [value], {}, name);
    this.b.output(out);
    const info = this.b.info(out);
    this.outputs.push({ name, dtype: info.dtype, shape: info.shape, role });
  }

  done(): BuiltGraph {
    lowerBlockedConvs(this.b.graph, this.options.conv ?? STANDARD);
    const graph = dropUnread(elideOutputIdentities(this.b.graph));
    return { graph, inputs: this.inputs, outputs: this.outputs };
  }
}

function batchInputs(g: RoleGraph, model: Model): { x: string; labels: string } {
  const { name, shape } = model.input;
  const { b, options } = g;
  const x =
    options.pixelScale === undefined
      ? g.input(name, b.floatType, shape, { kind: 'images' })
      : scaledPixels(b, g.input(name, 'uint8', shape, { kind: 'images' }), options.pixelScale);
  const labels = g.input('labels', integerType(b.target), ['N'], { kind: 'labels' });
  return { x, labels };
}

/**
 * uint8 pixels as the loader's floats: a lookup in the 256 values it computes (pixel / d for a
 * scale of exactly 1/d, as torchvision's ToTensor divides, else pixel × scale), so the numbers
 * are the same bits as the CPU graph's input.
 */
function scaledPixels(b: GraphBuilder, pixels: string, scale: number): string {
  const d = Math.round(1 / scale);
  const exact = Math.abs(1 / scale - d) < 1e-9;
  const table = b.floats([256], (v) => (exact ? v / d : v * scale));
  return b.op(onnx.Gather, [table, b.op(onnx.Cast, [pixels], { to: 'int32' })], { axis: 0 });
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
  const values = initialParameters(recipe.model, recipe.seed, recipe.init);
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
  if (b.info(labels).dtype !== 'int64') return firstMaxCount(b, logits, labels);
  const predicted = b.op(onnx.ArgMax, [logits], { axis: 1, keepdims: 0 });
  const hits = b.op(onnx.Cast, [b.op(onnx.Equal, [predicted, labels])], { to: b.floatType });
  return b.reduceSum(hits, [0], false);
}

/**
 * `correctCount` where ArgMax's int64 result cannot be compared (int32 labels): a row counts
 * when its label's score is the row's first maximum, which is ArgMax's answer, ties included.
 */
function firstMaxCount(b: GraphBuilder, logits: string, labels: string): string {
  const float = (v: string) => b.op(onnx.Cast, [v], { to: b.floatType });
  const max = b.op(onnx.ReduceMax, [logits, b.int64s([1])], { keepdims: 1 });
  const isMax = float(b.op(onnx.Equal, [logits, max]));
  const seen = b.op(onnx.CumSum, [isMax, b.scalar(1, 'int64')]);
  const first = b.op(onnx.Mul, [isMax, float(b.op(onnx.Equal, [seen, b.scalar(1)]))]);
  return b.reduceSum(b.op(onnx.Mul, [first, oneHot(b, labels, logits)]), [0, 1], false);
}

function lossAndMetrics(
  g: RoleGraph,
  recipe: Recipe,
  state: Map<string, string>,
  ctx: LowerContext,
  batch: { x: string; labels: string } = batchInputs(g, recipe.model),
) {
  const { b } = g;
  const { x, labels } = batch;
  const lowered = lowerModel(b, recipe.model, x, (name) => state.get(name)!, ctx);
  const logits = lowered.output;
  const loss = b.within('loss', () => recipe.loss.def.build(b, logits, labels, recipe.loss.args));
  const correct = b.within('metrics', () => correctCount(b, logits, labels));
  return { loss, correct, bufferUpdates: lowered.bufferUpdates, batch };
}

/**
 * The objective the step minimizes at the given parameter values: the data loss plus the
 * `weight_decay` penalty λ·Σ‖θ‖². Both are returned apart: the data loss is what a run prints,
 * plots and compares with held-out losses; the penalty is its own figure.
 */
function objective(
  g: RoleGraph,
  recipe: Recipe,
  params: Map<string, string>,
  fixed: Map<string, string>,
  ctx: LowerContext,
  batch?: { x: string; labels: string },
) {
  const { b } = g;
  const state = new Map([...params, ...fixed]);
  const result = lossAndMetrics(g, recipe, state, ctx, batch);
  const reg = recipe.regularization;
  const penalty = reg && b.within('weight_decay', () => l2Penalty(b, reg, params));
  const total = penalty ? b.op(onnx.Add, [result.loss, penalty]) : result.loss;
  const grads = b.within('backward', () => backward(b, total, [...params.values()]));
  // Re-key by parameter name: SAM's second pass differentiates other values.
  const byName = new Map([...params].map(([name, v]) => [name, grads.get(v)!]));
  return { ...result, penalty, grads: byName };
}

/**
 * Gradients for the update, after SAM and clipping, and the monitoring outputs. SAM takes the
 * gradient again at θ + ρ·g/‖g‖ (same batch, same dropout masks; batch-norm buffers keep the
 * first pass's updates); clipping applies to the gradient the optimizer receives.
 */
function updateGradients(
  g: RoleGraph,
  recipe: Recipe,
  params: Map<string, string>,
  fixed: Map<string, string>,
  ctx: LowerContext,
) {
  const { b } = g;
  const first = objective(g, recipe, params, fixed, ctx);
  const reg = recipe.regularization;
  const norm = b.within('monitor', () => globalNorm(b, [...first.grads.values()]));
  let grads = first.grads;
  let ascentLoss: string | undefined;
  if (reg?.sam) {
    const rho = reg.sam.rho;
    const values = new Map([...params].map(([name, v]) => [v, first.grads.get(name)!]));
    const moved = b.within('sam', () => samPerturb(b, rho, params, values, norm));
    const ascent = b.within('sam', () => objective(g, recipe, moved, fixed, ctx, first.batch));
    [grads, ascentLoss] = [ascent.grads, ascent.loss];
  }
  if (reg?.clip) {
    const clip = reg.clip;
    const clipNorm = grads === first.grads ? norm : globalNorm(b, [...grads.values()]);
    grads = b.within('clip', () => clipGradients(b, clip, grads, clipNorm));
  }
  const variance = reg?.monitor.includes('grad_variance')
    ? b.within('grad_variance', () => gradVariance(g, recipe, params, fixed, ctx, first.batch))
    : undefined;
  return { ...first, rawGrads: first.grads, grads, gradNorm: norm, variance, ascentLoss };
}

/**
 * Opt-in (`monitor = [grad_variance]`): two more forward/backward passes, on each half of the
 * batch, about one more step's work; their buffer updates are discarded.
 */
function gradVariance(
  g: RoleGraph,
  recipe: Recipe,
  params: Map<string, string>,
  fixed: Map<string, string>,
  ctx: LowerContext,
  batch: { x: string; labels: string },
): string {
  const { b } = g;
  const halves = batchHalves(b, batch.x).map((idx) => {
    const part = {
      x: b.op(onnx.Gather, [batch.x, idx], { axis: 0 }),
      labels: b.op(onnx.Gather, [batch.labels, idx], { axis: 0 }),
    };
    return [...objective(g, recipe, params, fixed, ctx, part).grads.values()];
  });
  return halvesVariance(b, halves[0], halves[1]);
}

export function buildTrainStep(recipe: Recipe, options: StepOptions = {}): BuiltGraph {
  const g = new RoleGraph(`${recipe.name}.train`, options);
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
  const step = g.input('step', integerType(b.target), [], { kind: 'step' });
  // The batch inputs come after the parameters in the lowering but are declared first by name.
  const ctx: LowerContext = { mode: 'train', step, seed: recipe.seed, internal: true };
  const fixed = new Map([...buffers, ...frozenConstants(g, recipe)]);
  const updates = updateGradients(g, recipe, params, fixed, ctx);
  const { loss, correct, bufferUpdates, grads, rawGrads, gradNorm, variance } = updates;
  g.output(loss, 'loss', { kind: 'loss' });
  g.output(correct, 'correct', { kind: 'correct' });
  if (updates.penalty) g.output(updates.penalty, 'penalty', { kind: 'loss_term', term: 'penalty' });
  if (updates.ascentLoss)
    g.output(updates.ascentLoss, 'sam_loss', { kind: 'loss_term', term: 'sam_loss' });
  g.output(gradNorm, 'grad_norm', { kind: 'monitor', monitor: 'grad_norm' });
  const paramNorm = b.within('monitor', () => globalNorm(b, [...params.values()]));
  g.output(paramNorm, 'param_norm', { kind: 'monitor', monitor: 'param_norm' });
  if (variance) g.output(variance, 'grad_variance', { kind: 'monitor', monitor: 'grad_variance' });
  for (const name of buffers.keys()) {
    const next = bufferUpdates.get(name);
    if (!next) throw new Error(`buffer '${name}' has no train-mode update`);
    g.output(next, `${name}.next`, { kind: 'buffer', buffer: name });
  }
  for (const [name, param] of params) {
    const grad = grads.get(name)!;
    const group = groupArgs(b, recipe, name, lr);
    const offset = options.stepOffsets?.get(name);
    const own = offset ? b.op(onnx.Sub, [step, b.scalar(offset, b.info(step).dtype)]) : step;
    const inputs = { param, grad, state: state.get(name)!, lr: group.lr, step: own };
    const updated = b.within(`optimizer/${name}`, () => optimizer.update(b, inputs, group.args));
    g.output(updated.param, `${name}.next`, { kind: 'param', param: name });
    for (const slot of slots) {
      g.output(updated.state[slot], `${name}.${slot}.next`, { kind: 'state', param: name, slot });
    }
    // `.grad` is the objective's gradient at θ (before SAM and clipping): what finite differences see.
    const raw = rawGrads.get(name)!;
    if (options.gradients) g.output(raw, `${name}.grad`, { kind: 'gradient', param: name });
  }
  if (!stepsInLoop(b.target)) deviceResidentOutputs(g, step);
  return g.done();
}

/**
 * For a target that runs one step per run, its state staying on the device (no ONNX Loop
 * there): the step counter's next value, so it stays there too, and ‖θ‖ after the update, so
 * every state a run leaves behind is checked as the Loop graph's `end:param_norm` is.
 */
function deviceResidentOutputs(g: RoleGraph, step: string): void {
  const { b } = g;
  const next = b.op(onnx.Add, [step, b.scalar(1, b.info(step).dtype)]);
  g.output(next, 'step.next', { kind: 'step' });
  const updated = g.outputs.filter((o) => o.role.kind === 'param').map((o) => o.name);
  const norm = b.within('monitor', () => globalNorm(b, updated));
  g.output(norm, 'updated_norm', { kind: 'updated_norm' });
}

/**
 * A parameter's optimizer arguments and learning rate under `groups`: the group's arguments
 * override the optimizer's, and its `lr` becomes the constant ratio lr_group/lr_optimizer times
 * the `lr` input, so one scalar input (and the runtime's schedule) still drives every group.
 */
function groupArgs(b: GraphBuilder, recipe: Recipe, name: string, lr: string) {
  const { args } = recipe.optimizer;
  const group = groupOf(recipe.regularization?.groups ?? [], name);
  if (!group) return { args, lr };
  const values = new Map([...args.values, ...group.overrides]);
  const merged = { values, spans: args.spans };
  // The checker refuses a group lr other than 0 when the optimizer's is 0 (no ratio to take).
  const [own, base] = [numberArg(merged, 'lr'), numberArg(args, 'lr')];
  const ratio = own === base ? 1 : own / base;
  return { args: merged, lr: ratio === 1 ? lr : b.op(onnx.Mul, [lr, b.scalar(ratio)]) };
}

export function buildEvalStep(recipe: Recipe, options: StepOptions = {}): BuiltGraph {
  const g = new RoleGraph(`${recipe.name}.eval`, { ...options, floatType: 'float32' });
  const params = paramInputs(g, recipe.model);
  const buffers = bufferInputs(g, recipe.model);
  const state = new Map([...params, ...buffers, ...frozenConstants(g, recipe)]);
  const { loss, correct } = lossAndMetrics(g, recipe, state, { mode: 'eval', internal: true });
  g.output(loss, 'loss', { kind: 'loss' });
  g.output(correct, 'correct', { kind: 'correct' });
  return g.done();
}

/**
 * The gradient of the objective (data loss plus weight_decay's penalty) on one batch, in
 * evaluation mode: no dropout, batch norm from its running statistics. `full_grad_norm` weighs
 * it by batch size over the whole training set to get the notes' ‖∇f(θ)‖.
 */
export function buildGradientStep(recipe: Recipe, target: Target = 'cpu'): BuiltGraph {
  const g = new RoleGraph(`${recipe.name}.gradient`, { target });
  const params = paramInputs(g, recipe.model);
  const fixed = new Map([...bufferInputs(g, recipe.model), ...frozenConstants(g, recipe)]);
  const ctx: LowerContext = { mode: 'eval', internal: true, differentiated: true };
  const { loss, grads } = objective(g, recipe, params, fixed, ctx);
  g.output(loss, 'loss', { kind: 'loss' });
  for (const [name, grad] of grads)
    g.output(grad, `${name}.grad`, { kind: 'gradient', param: name });
  return g.done();
}

/** The inference model; exports are for any device (cpu), `target` picks ops for one to run it. */
export function buildInference(
  model: Model,
  weights: ReadonlyMap<string, Float32Array>,
  target: Target = 'cpu',
): BuiltGraph {
  const g = new RoleGraph(model.name, { target });
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
