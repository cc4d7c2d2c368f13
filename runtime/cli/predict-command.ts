// `netspec predict` (image files: class and probabilities) through the inference model with
// trained weights, each image preprocessed as evaluation's data is. An image of another size
// than the network takes is resized to it first — what a PyTorch user does with
// transforms.Resize before calling the model — and the output says so; where the evaluation
// transform itself changes the size, the image goes through it as it is, and a size that still
// does not fit is refused with the sizes.
import type { Recipe } from '../../compiler/index.js';
import type { Split } from '../data/dataset.js';
import { unreadable } from '../data/errors.js';
import { decodeAnySize } from '../data/images.js';
import { resize } from '../data/transforms/image.js';
import { needsStats, outputShape } from '../data/transforms/pipeline.js';
import { dataRoots } from './commands.js';
import { prepareData } from './data.js';
import type { ModelOptions } from './eval-command.js';
import { logitsOf, trainedModel } from './eval-command.js';
import { UserError } from '../errors.js';
import { readFile } from '../files.js';
import { CODES } from '../../compiler/index.js';

/** One image file as a one-example split the network can take, and how it was made to fit. */
interface Prepared {
  split: Split;
  /** ` (64×64, resized to 28×28)`, or nothing. */
  note: string;
}

function readImage(file: string): Uint8Array {
  try {
    return readFile(file, 'image');
  } catch (e) {
    throw unreadable(file, e);
  }
}

function prepare(file: string, recipe: Recipe): Prepared {
  const wanted = recipe.model.input.shape.slice(1) as number[];
  const [channels, height, width] = wanted;
  const steps = (recipe.transform?.steps ?? []).filter((s) => !s.trainOnly);
  const image = decodeAnySize(file, readImage(file), channels);
  let shape = [channels, image.height, image.width];
  let pixels = image.pixels;
  let note = '';
  if (outputShape(steps, shape).join() !== wanted.join()) {
    const keepsSize = outputShape(steps, wanted).join() === wanted.join();
    if (!keepsSize) {
      const after = outputShape(steps, shape);
      throw new UserError(
        CODES.dataMismatch,
        `${file}: the image is ${image.width}×${image.height}, evaluation's transform makes it [${after.join(', ')}], and network '${recipe.model.name}' takes [${wanted.join(', ')}]`,
      );
    }
    pixels = resized(pixels, shape, height, width);
    note = ` (${image.width}×${image.height}, resized to ${width}×${height})`;
    shape = wanted;
  }
  const split: Split = {
    images: pixels,
    labels: new Int32Array(1),
    count: 1,
    imageShape: shape,
    scale: 1 / 255,
    origin: file,
    labelAt: () => file,
  };
  return { split, note };
}

/** Bilinear resize (torchvision's Resize on tensors, without antialiasing), rounded to pixels. */
function resized(pixels: Uint8Array, [c, h, w]: number[], height: number, width: number) {
  const out = resize({ data: Float32Array.from(pixels), c, h, w }, height, width);
  return Uint8Array.from(out.data, (v) => Math.min(255, Math.max(0, Math.round(v))));
}

function softmax(row: Float32Array): number[] {
  const top = Math.max(...row);
  const exps = Array.from(row, (v) => Math.exp(v - top));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

export async function predictCommand(
  path: string,
  files: string[],
  options: ModelOptions & { top: number; data: string[] },
) {
  const { recipe, session } = await trainedModel(path, options);
  const images = files.map((file) => prepare(file, recipe));
  // Normalize(auto) needs the training statistics (cached beside the spec after the first run).
  const steps = recipe.transform?.steps;
  const stats =
    steps && needsStats(steps)
      ? prepareData(recipe, path, dataRoots(options.data)).stats
      : undefined;
  const names = recipe.dataset.classes ?? [];
  for (const [i, file] of files.entries()) {
    const logits = await logitsOf(session, recipe, images[i].split, stats);
    const ranked = softmax(logits)
      .map((v, k) => [k, v] as const)
      .sort((a, b) => b[1] - a[1])
      .slice(0, options.top);
    const shown = ranked.map(([k, v]) => `${names[k] ?? k} ${(100 * v).toFixed(1)}%`).join(', ');
    process.stdout.write(`${file}${images[i].note}: ${shown}\n`);
  }
  return 0;
}
