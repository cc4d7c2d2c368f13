// The training loop: one onnxruntime `run` of the compiled step graph per minibatch. The
// manifest's roles say which outputs feed which inputs next step (updated parameters and
// optimizer state), so this loop knows nothing about any particular optimizer or model.
import type { CompiledRecipe, Recipe, TensorEntry } from '../compiler/index.js';
import { initialParameters } from '../compiler/index.js';
import type { Split } from './data/dataset.js';
import type { BatchOptions } from './data/batches.js';
import { batches, epochOrder } from './data/batches.js';
import type { ChannelStats } from './data/transforms/pipeline.js';
import { prefetchedBatches } from './data/prefetch.js';
import type { SessionOptions } from './session.js';
import { createSession, ort } from './session.js';

export interface EpochMetrics {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  testLoss?: number;
  testAccuracy?: number;
  /** On the validation split, when the dataset has one. */
  valLoss?: number;
  valAccuracy?: number;
  imagesPerSecond: number;
  seconds: number;
}

export interface TrainOptions extends SessionOptions {
  epochs: number;
  /** Called after every epoch, e.g. to print a progress line. */
  onEpoch?: (metrics: EpochMetrics) => void;
}

export interface TrainResult {
  weights: Map<string, Float32Array>;
  history: EpochMetrics[];
}

type Feeds = Record<string, ort.Tensor>;

function floatTensor(data: Float32Array, shape: readonly (number | 'N')[]): ort.Tensor {
  return new ort.Tensor(
    'float32',
    data,
    shape.map((d) => (d === 'N' ? 1 : d)),
  );
}

/** Parameters and optimizer state: the part of the feeds that the step graph carries forward. */
function initialState(recipe: Recipe, compiled: CompiledRecipe): Feeds {
  const feeds: Feeds = {};
  const values = initialParameters(recipe.model, recipe.seed);
  for (const input of compiled.manifest.graphs.train.inputs) {
    if (input.role.kind === 'param')
      feeds[input.name] = floatTensor(values.get(input.role.param)!, input.shape);
    if (input.role.kind === 'buffer')
      feeds[input.name] = floatTensor(values.get(input.role.buffer)!, input.shape);
    if (input.role.kind === 'state') {
      const size = values.get(input.role.param)!.length;
      feeds[input.name] = floatTensor(new Float32Array(size), input.shape);
    }
  }
  return feeds;
}

/** For each train-step output that carries state forward, the input it feeds next step. */
function carriedOutputs(outputs: TensorEntry[], inputs: TensorEntry[]): Map<string, string> {
  const key = (e: TensorEntry) => {
    if (e.role.kind === 'param') return `p:${e.role.param}`;
    if (e.role.kind === 'state') return `s:${e.role.param}:${e.role.slot}`;
    if (e.role.kind === 'buffer') return `b:${e.role.buffer}`;
    return '';
  };
  const inputByKey = new Map(inputs.filter((i) => key(i)).map((i) => [key(i), i.name]));
  return new Map(outputs.filter((o) => key(o)).map((o) => [o.name, inputByKey.get(key(o))!]));
}

export async function train(
  recipe: Recipe,
  compiled: CompiledRecipe,
  data: { train: Split; test?: Split; stats?: ChannelStats },
  options: TrainOptions,
): Promise<TrainResult> {
  const trainSession = await createSession(compiled.train, options);
  const evalSession = await createSession(compiled.eval, options);
  const entry = compiled.manifest.graphs.train;
  const carried = carriedOutputs(entry.outputs, entry.inputs);
  const imagesName = entry.inputs.find((i) => i.role.kind === 'images')!.name;
  const lrTensor = new ort.Tensor('float32', Float32Array.of(compiled.manifest.learningRate), []);
  let state = initialState(recipe, compiled);
  let step = 0;
  const history: EpochMetrics[] = [];
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    const started = performance.now();
    const order = epochOrder(data.train.count, recipe.shuffle, recipe.seed, epoch);
    let lossSum = 0;
    let correct = 0;
    let seen = 0;
    const feeding = batchOptions(recipe, data.stats, true, epoch);
    // Transformed batches come from worker threads, prepared while the step runs.
    for await (const batch of prefetchedBatches(data.train, order, recipe.batch, feeding)) {
      const shape = [batch.size, ...batch.shape];
      seen += batch.size;
      const feeds: Feeds = {
        ...state,
        [imagesName]: new ort.Tensor('float32', batch.images, shape),
        labels: new ort.Tensor('int64', batch.labels, [batch.size]),
        lr: lrTensor,
        step: new ort.Tensor('int64', BigInt64Array.of(BigInt(step)), []),
      };
      const out = await trainSession.run(feeds);
      const next: Feeds = {};
      for (const [output, input] of carried) next[input] = out[output];
      state = next;
      lossSum += (out.loss.data as Float32Array)[0] * batch.size;
      correct += (out.correct.data as Float32Array)[0];
      step++;
    }
    const seconds = (performance.now() - started) / 1000;
    const metrics: EpochMetrics = {
      epoch,
      trainLoss: lossSum / seen,
      trainAccuracy: correct / seen,
      imagesPerSecond: seen / seconds,
      seconds,
    };
    if (data.test) {
      const params = paramFeeds(state, compiled);
      const feeding = batchOptions(recipe, data.stats, false, epoch);
      const result = await evaluate(evalSession, params, data.test, imagesName, feeding);
      metrics.testLoss = result.loss;
      metrics.testAccuracy = result.accuracy;
    }
    history.push(metrics);
    options.onEpoch?.(metrics);
  }
  return { weights: weightsOf(state, recipe, compiled), history };
}

/** What the eval step reads from the training state: parameters and buffers. */
/** How the loader prepares a split's batches: drop_last and the transform block (training or not). */
function batchOptions(
  recipe: Recipe,
  stats: ChannelStats | undefined,
  training: boolean,
  epoch: number,
): BatchOptions {
  const steps = recipe.transform?.steps;
  return {
    dropLast: training && recipe.dropLast,
    steps,
    training,
    stats,
    seed: recipe.seed,
    epoch,
  };
}

function paramFeeds(state: Feeds, compiled: CompiledRecipe): Feeds {
  const feeds: Feeds = {};
  for (const input of compiled.manifest.graphs.train.inputs) {
    if (input.role.kind === 'param' || input.role.kind === 'buffer')
      feeds[input.name] = state[input.name];
  }
  return feeds;
}

/**
 * Parameters and buffers by state_dict name: what is saved and exported. Frozen layers' values
 * are constants of the step graphs, so they are the initial (pretrained) ones.
 */
function weightsOf(
  state: Feeds,
  recipe: Recipe,
  compiled: CompiledRecipe,
): Map<string, Float32Array> {
  const weights = new Map<string, Float32Array>();
  for (const input of compiled.manifest.graphs.train.inputs) {
    if (input.role.kind === 'param')
      weights.set(input.role.param, state[input.name].data as Float32Array);
    if (input.role.kind === 'buffer')
      weights.set(input.role.buffer, state[input.name].data as Float32Array);
  }
  const missing = compiled.manifest.parameters.filter((p) => !weights.has(p.name));
  if (missing.length > 0) {
    const initial = initialParameters(recipe.model, recipe.seed);
    for (const p of missing) weights.set(p.name, initial.get(p.name)!);
  }
  return weights;
}

/** Loss and accuracy of the current parameters on a whole split, in large batches. */
export async function evaluate(
  session: ort.InferenceSession,
  params: Feeds,
  split: Split,
  imagesName: string,
  feeding: BatchOptions = {},
): Promise<{ loss: number; accuracy: number }> {
  let lossSum = 0;
  let correct = 0;
  const order = epochOrder(split.count, false, 0, 0);
  for (const batch of batches(split, order, 1000, feeding)) {
    const out = await session.run({
      ...params,
      [imagesName]: new ort.Tensor('float32', batch.images, [batch.size, ...batch.shape]),
      labels: new ort.Tensor('int64', batch.labels, [batch.size]),
    });
    lossSum += (out.loss.data as Float32Array)[0] * batch.size;
    correct += (out.correct.data as Float32Array)[0];
  }
  return { loss: lossSum / split.count, accuracy: correct / split.count };
}
