// `netspec eval` (a split: loss, accuracy, per-class accuracy, confusion matrix) and
// `netspec predict` (image files: class and probabilities), both through the exported
// inference model with trained weights, preprocessed exactly as evaluation is.
import { join } from 'node:path';
import type { Recipe } from '../../compiler/index.js';
import { compileInference } from '../../compiler/index.js';
import type { Split } from '../data/dataset.js';
import { batches, epochOrder } from '../data/batches.js';
import { unreadable } from '../data/errors.js';
import { decodeImage } from '../data/images.js';
import { readFile } from '../files.js';
import { needsStats } from '../data/transforms/pipeline.js';
import { classReport, classReportText } from '../report/classes.js';
import type { ClassReport } from '../report/classes.js';
import { createSession, ort } from '../session.js';
import type { Device } from '../session.js';
import { readSafetensors } from '../weights.js';
import { dataRoots } from './commands.js';
import { prepareData } from './data.js';
import { loadRecipe, UserError } from './load.js';

interface ModelOptions {
  recipe?: string;
  weights?: string;
  threads: number;
  device: Device;
}

/** The inference session with trained weights, and what it needs to read batches. */
async function trainedModel(path: string, options: ModelOptions) {
  const { recipe } = loadRecipe(path, options.recipe);
  const weightsPath = options.weights ?? join('runs', recipe.name, 'weights.safetensors');
  let stored;
  try {
    stored = readSafetensors(weightsPath);
  } catch (e) {
    throw new UserError(
      `${weightsPath}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file; train first or pass --weights' : (e as Error).message}`,
    );
  }
  const weights = new Map([...stored].map(([name, t]) => [name, t.data]));
  let model: Uint8Array;
  try {
    model = compileInference(recipe.model, weights);
  } catch (e) {
    throw new UserError(
      `${weightsPath}: does not fit ${recipe.model.name} (${(e as Error).message})`,
    );
  }
  const session = await createSession(model, options);
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

function softmax(row: Float32Array): number[] {
  const top = Math.max(...row);
  const exps = Array.from(row, (v) => Math.exp(v - top));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
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
  if (!split) throw new UserError(`dataset '${recipe.dataset.name}' has no ${options.split} split`);
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

export async function predictCommand(
  path: string,
  files: string[],
  options: ModelOptions & { top: number; data: string[] },
) {
  const { recipe, session } = await trainedModel(path, options);
  const shape = recipe.model.input.shape.slice(1) as number[];
  const pixels = shape.reduce((a, b) => a * b, 1);
  const images = new Uint8Array(files.length * pixels);
  files.forEach((file, i) => {
    let bytes: Uint8Array;
    try {
      bytes = readFile(file, 'image');
    } catch (e) {
      throw unreadable(file, e);
    }
    images.set(decodeImage(file, bytes, shape), i * pixels);
  });
  const split: Split = {
    images,
    labels: new Int32Array(files.length),
    count: files.length,
    imageShape: shape,
    scale: 1 / 255,
    origin: 'command line',
    labelAt: (i) => files[i],
  };
  // Normalize(auto) needs the training statistics (cached beside the spec after the first run).
  const steps = recipe.transform?.steps;
  const stats =
    steps && needsStats(steps)
      ? prepareData(recipe, path, dataRoots(options.data)).stats
      : undefined;
  const logits = await logitsOf(session, recipe, split, stats);
  const classes = logits.length / files.length;
  const names = recipe.dataset.classes ?? [];
  files.forEach((file, i) => {
    const p = softmax(logits.subarray(i * classes, (i + 1) * classes));
    const ranked = p
      .map((v, k) => [k, v] as const)
      .sort((a, b) => b[1] - a[1])
      .slice(0, options.top);
    const shown = ranked.map(([k, v]) => `${names[k] ?? k} ${(100 * v).toFixed(1)}%`).join(', ');
    process.stdout.write(`${file}: ${shown}\n`);
  });
  return 0;
}
