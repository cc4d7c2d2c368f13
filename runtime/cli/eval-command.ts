// `netspec eval` (a split: loss, accuracy, per-class accuracy, confusion matrix) through the
// exported inference model with trained weights, preprocessed exactly as evaluation is; the
// trained model and its weights for `predict` too.
import type { Recipe } from '../../compiler/index.js';
import { compileInference } from '../../compiler/index.js';
import type { Split } from '../data/dataset.js';
import { batches, epochOrder } from '../data/batches.js';
import { classReport, classReportText } from '../report/classes.js';
import type { ClassReport } from '../report/classes.js';
import { createSession, ort } from '../session.js';
import type { DeviceChoice } from '../device.js';
import { resolveDevice } from '../device.js';
import { dataRoots } from './commands.js';
import { prepareData } from './data.js';
import { loadRecipe, loadTrainedWeights } from './load.js';
import { UserError } from '../errors.js';
import { CODES } from '../../compiler/index.js';

export interface ModelOptions {
  recipe?: string;
  weights?: string;
  threads: number;
  device: DeviceChoice;
  noFallback?: boolean;
}

/** The inference session with trained weights, and what it needs to read batches. */
export async function trainedModel(path: string, options: ModelOptions) {
  const { recipe } = loadRecipe(path, options.recipe);
  const weights = loadTrainedWeights(recipe.model, path, options.weights, recipe.name);
  const device = resolveDevice(options.device);
  const model = compileInference(recipe.model, weights, {}, undefined, device);
  const session = await createSession(model, { ...options, device });
  return { recipe, session };
}

/** Logits for every example of a split, in order. */
export async function logitsOf(
  session: ort.InferenceSession,
  recipe: Recipe,
  split: Split,
  stats: unknown,
) {
  const all: Float32Array[] = [];
  const feeding = {
    steps: recipe.transform?.steps,
    training: false,
    stats: stats as never,
    seed: recipe.seed,
    epoch: 0,
  };
  for (const batch of batches(split, epochOrder(split.count, false, 0, 0), 500, feeding)) {
    const input = session.inputNames[0];
    const out = await session.run({
      [input]: new ort.Tensor('float32', batch.images, [batch.size, ...batch.shape]),
    });
    all.push(out[session.outputNames[0]].data as Float32Array);
  }
  const joined = new Float32Array(all.reduce((n, a) => n + a.length, 0));
  let offset = 0;
  for (const a of all) joined.set(a, (offset += a.length) - a.length);
  return joined;
}

/** Per-class results of the inference model on a whole split (the report's and eval's). */
export async function splitClassReport(
  session: ort.InferenceSession,
  recipe: Recipe,
  split: Split,
  stats: unknown,
  name: string,
  classNames?: readonly string[],
): Promise<ClassReport> {
  const logits = await logitsOf(session, recipe, split, stats);
  return classReport(name, logits, split.labels, classNames ?? recipe.dataset.classes ?? []);
}

export async function evalCommand(
  path: string,
  options: ModelOptions & { split: string; data: string[] },
) {
  const { recipe, session } = await trainedModel(path, options);
  const data = prepareData(recipe, path, dataRoots(options.data));
  const split = data[options.split as 'train' | 'test' | 'validation'];
  if (!split)
    throw new UserError(
      CODES.commandLine,
      `dataset '${recipe.dataset.name}' has no ${options.split} split`,
    );
  const report = await splitClassReport(
    session,
    recipe,
    split,
    data.stats,
    options.split,
    data.classNames,
  );
  process.stdout.write(classReportText(report));
  return 0;
}
