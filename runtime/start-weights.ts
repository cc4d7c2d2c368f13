// `netspec train --weights FILE`: a run that starts from saved weights instead of the
// initializers — PyTorch's `model.load_state_dict(...)` before training. Only the weights are
// taken (parameters and buffers, by state_dict name); the optimizer state, the step count and
// the schedules start afresh, which is what distinguishes it from `--resume`.
//
// The loaded values become the model's initial values (`Model.initial`, what an imported ONNX
// model's pretrained values are), so everything that reads initial values agrees with them:
// the first step's inputs, the constants of frozen layers, the weights saved for layers that
// are not trained, and each later stage's graphs.
import { constants } from 'node:fs';
import { fileExists, readFile, statPath } from './files.js';
import { join } from 'node:path';
import type { Model, Recipe } from '../compiler/index.js';
import { parameterShapes, stageAt, stageRecipe } from '../compiler/index.js';
import type { Checkpoint } from './checkpoint.js';
import type { RawTensor } from './weights.js';
import { decodeSafetensorsRaw, toFloat32 } from './weights.js';
import { plural } from './plural.js';
import { CODES } from '../compiler/index.js';
import { UserError } from './errors.js';

export interface StartWeights {
  /** The recipe whose model starts from the file's values. */
  recipe: Recipe;
  /** The file read (a folder argument resolves to its weights file). */
  file: string;
  /** Tensors taken from the file. */
  loaded: number;
  /** With `partial`: what was not taken, one line each (`'fc.weight' is missing`, …). */
  skipped: string[];
}

/**
 * The file `--weights` names: a safetensors file, or a folder holding one — a run folder
 * (`weights.safetensors`) or a checkpoint folder (`model.safetensors`).
 */
export function startWeightsFile(path: string): string {
  if (!fileExists(path)) throw new UserError(CODES.weightsFile, `${path}: no such file`);
  if ((statPath(path).mode & constants.S_IFMT) !== constants.S_IFDIR) return path;
  const candidates = [join(path, 'weights.safetensors'), join(path, 'model.safetensors')];
  const found = candidates.find((c) => fileExists(c));
  if (!found)
    throw new UserError(
      CODES.weightsFile,
      `${path}: no weights there (looked for ${candidates.join(', ')})`,
    );
  return found;
}

/**
 * `recipe` with its model starting from the weights in `path`. Every parameter and buffer of
 * the model must be in the file with its shape and a dtype that converts to float32, and the
 * file must hold nothing else; otherwise a UserError (NS4004) lists every problem. With
 * `partial`, the tensors that fit are loaded and the rest is listed in `skipped` (the model's
 * own initial values stay for what the file lacks); a file of which nothing fits is still an
 * error.
 */
export function startFrom(recipe: Recipe, path: string, partial = false): StartWeights {
  const { file, values, problems } = fitWeights(recipe.model, path);
  const what = `${file} does not fit ${recipe.model.name}`;
  if (problems.length > 0 && (!partial || values.size === 0)) {
    const hint = partial
      ? 'none of its tensors fit'
      : 'with --weights-partial, the tensors that fit are loaded and the rest initialized';
    const count = plural(problems.length, 'problem');
    throw new UserError(
      CODES.weightsFile,
      `${what} (${count}; ${hint}):\n  ${problems.join('\n  ')}`,
    );
  }
  // Values the model already had (an imported model's pretrained ones) stay where the file has none.
  const initial = new Map([...(recipe.model.initial ?? []), ...values]);
  return {
    recipe: { ...recipe, model: { ...recipe.model, initial } },
    file,
    loaded: values.size,
    skipped: problems,
  };
}

/**
 * A trained model's weights (`eval`, `predict`, `export`): every parameter and buffer, or a
 * UserError (NS4004) listing every problem, as `train --weights` does.
 */
export function trainedWeights(model: Model, path: string): Map<string, Float32Array> {
  const { file, values, problems } = fitWeights(model, path);
  if (problems.length === 0) return values;
  const count = plural(problems.length, 'problem');
  throw new UserError(
    CODES.weightsFile,
    `${file} does not fit ${model.name} (${count}):\n  ${problems.join('\n  ')}`,
  );
}

/** The file's tensors that fit the model, and one line per tensor that does not. */
function fitWeights(model: Model, path: string) {
  const file = startWeightsFile(path);
  let stored: Map<string, RawTensor>;
  try {
    stored = decodeSafetensorsRaw(readFile(file, 'weights'), file);
  } catch (e) {
    throw new UserError(CODES.weightsFile, (e as Error).message);
  }
  const shapes = parameterShapes(model);
  const problems: string[] = [];
  const values = new Map<string, Float32Array>();
  for (const [name, shape] of shapes) {
    const saved = stored.get(name);
    if (!saved) problems.push(`'${name}' is missing`);
    else if (saved.shape.join() !== shape.join()) {
      problems.push(
        `'${name}' has shape [${saved.shape.join(', ')}], the model needs [${shape.join(', ')}]`,
      );
    } else {
      const data = toFloat32(saved);
      if (!data) problems.push(`'${name}' is ${saved.dtype}, which does not convert to float32`);
      else if (!data.every(Number.isFinite))
        problems.push(`'${name}' holds values that are not finite (NaN or ±Infinity)`);
      else values.set(name, data);
    }
  }
  for (const name of stored.keys())
    if (!shapes.has(name)) problems.push(`'${name}' is not in the model`);
  return { file, values, problems };
}

/**
 * A resumed run's recipe, its frozen layers at the values they had. Frozen layers are constants
 * of the step graphs, compiled from the model's initial values, and a run started with
 * `--weights` had the file's, not the spec's; its checkpoints hold them (their weights include
 * frozen layers). Only what is frozen in the stage that wrote the checkpoint is taken: those
 * values are the ones the run began with. Tensors whose shape does not fit are left to the
 * checkpoint's own check, which lists them.
 */
export function resumeRecipe(recipe: Recipe, checkpoint: Checkpoint): Recipe {
  // The stage that wrote it, as Stages.producedBy finds it.
  const { epoch, batchesDone } = (
    checkpoint.state.control as { progress: { epoch: number; batchesDone: number } }
  ).progress;
  const stage = stageAt(recipe, batchesDone > 0 ? epoch : Math.max(1, epoch - 1));
  const values = new Map<string, Float32Array>();
  for (const layer of stageRecipe(recipe, stage).model.layers) {
    if (layer.frozen !== true) continue;
    for (const p of layer.params) {
      // A frozen batch norm with batch statistics carries its running statistics as state.
      if (layer.batchStats === true && p.kind === 'buffer') continue;
      const name = `${layer.path}.${p.name}`;
      const saved = checkpoint.weights.get(name);
      if (saved && saved.shape.join() === p.shape.join()) values.set(name, saved.data);
    }
  }
  if (values.size === 0) return recipe;
  const initial = new Map([...(recipe.model.initial ?? []), ...values]);
  return { ...recipe, model: { ...recipe.model, initial } };
}
