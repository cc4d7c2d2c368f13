// `netspec train`: load and check the spec, load the data, compile, train with progress
// output, then write the run folder — weights, metrics, report. Ctrl-C stops after the current
// step and writes a checkpoint; `--resume` continues from one exactly.
import { basename, dirname, join } from 'node:path';
import cliProgress from 'cli-progress';
import type { Recipe } from '../../compiler/index.js';
import { compileInference, compileRecipe } from '../../compiler/index.js';
import type { Checkpoint } from '../checkpoint.js';
import type { LsuvLayerResult } from '../lsuv.js';
import {
  CheckpointError,
  checkpointNamedBy,
  findCheckpoint,
  tidyCheckpoints,
} from '../checkpoint.js';
import {
  checkCheckpointFolder,
  checkRunFolder,
  claimRunFolder,
  OwnershipError,
  removeOwned,
  RUN_MARKER,
} from '../ownership.js';
import { checkOutputs, checkpointBytes, OutputError } from '../output-check.js';
import type { StartWeights } from '../start-weights.js';
import { resumeRecipe, startFrom, StartWeightsError } from '../start-weights.js';
import { writeReport } from '../report/report.js';
import type { StageStart } from '../stages.js';
import type { Device } from '../session.js';
import { createSession } from '../session.js';
import type { EpochMetrics, StepProgress, TrainOptions } from '../train.js';
import { ResumeError, train, UnsupportedError } from '../train.js';
import { encodeSafetensors } from '../weights.js';
import { writeFileAtomic } from '../files.js';
import { dataRoots, epochLine } from './commands.js';
import { prepareData } from './data.js';
import { splitClassReport } from './eval-command.js';
import { loadRecipe, UserError } from './load.js';

export interface TrainCommandOptions {
  recipe?: string;
  epochs?: number;
  out?: string;
  data: string[];
  threads: number;
  device: Device;
  resume?: string;
  /** Start from these weights (a safetensors file, or a run or checkpoint folder). */
  weights?: string;
  /** With `weights`: load the tensors that fit, initialize the rest (PyTorch's strict=False). */
  weightsPartial?: boolean;
  json?: boolean;
}

/**
 * A run folder (…/runs/X) or a checkpoint folder (…/checkpoints/last) to resume from — its
 * newest complete copy, wherever an interrupted write left it — and the best checkpoint beside
 * it (…/best) when there is one: restore_best needs the best weights seen before the
 * interruption.
 */
function loadResume(path: string): { checkpoint: Checkpoint; best?: Checkpoint } {
  const dir = checkpointNamedBy(path);
  try {
    const found = findCheckpoint(dir);
    if (!found)
      throw new UserError(
        `${path}: no checkpoint there (looked for ${dir} and the copies an interrupted write leaves beside it)`,
      );
    const best =
      basename(dir) === 'best' ? undefined : findCheckpoint(join(dirname(found.dir), 'best'));
    return { checkpoint: found.checkpoint, best: best?.checkpoint };
  } catch (e) {
    if (e instanceof CheckpointError) throw new UserError(e.message);
    throw e;
  }
}

/** `init = lsuv`'s result: each layer's output variance on the first batch, before → after. */
function lsuvLine(layers: LsuvLayerResult[]): string {
  const each = layers.map(
    (l) =>
      `${l.layer} ${l.before.toPrecision(3)} → ${l.after.toPrecision(3)}` +
      ` (${l.rescales} rescale${l.rescales === 1 ? '' : 's'})`,
  );
  return `lsuv: output variance on the first batch: ${each.join(', ')}`;
}

/** Progress: a bar on a terminal, one line per epoch otherwise, JSON events with --json. */
/** `epoch 2: layer4.0.conv1, layer4.0.bn1, … (12 modules, 8,393,728 parameters) train from now on`. */
function stageLine(s: StageStart): string {
  const shown = s.modules.length > 3 ? [...s.modules.slice(0, 3), '…'] : s.modules;
  const count = `${s.modules.length} module${s.modules.length === 1 ? '' : 's'}`;
  const parameters = s.parameters.toLocaleString('en-US');
  return `epoch ${s.epoch}: ${shown.join(', ')} (${count}, ${parameters} parameters) train from now on`;
}

function reporter(json: boolean | undefined, epochs: number) {
  const write = (line: string) => process.stdout.write(line + '\n');
  if (json) {
    return {
      step: (p: StepProgress) =>
        p.step % 50 === 0 && write(JSON.stringify({ event: 'step', ...p })),
      epoch: (m: EpochMetrics) => write(JSON.stringify({ event: 'epoch', ...m })),
      lsuv: (layers: LsuvLayerResult[]) => write(JSON.stringify({ event: 'lsuv', layers })),
      stage: (s: StageStart) => write(JSON.stringify({ event: 'stage', ...s })),
      stop: () => undefined,
    };
  }
  const bar = process.stdout.isTTY
    ? new cliProgress.SingleBar({
        format:
          'epoch {epoch} |{bar}| {percentage}% loss {loss} acc {acc} {speed} img/s ETA {eta_formatted}',
        clearOnComplete: true,
      })
    : undefined;
  let active = false;
  return {
    step(p: StepProgress) {
      if (!bar) return;
      if (!active) bar.start(p.total, 0, {});
      active = true;
      const fields = {
        epoch: p.epoch,
        loss: p.loss.toFixed(4),
        acc: (100 * p.accuracy).toFixed(1) + '%',
        speed: Math.round(p.imagesPerSecond),
      };
      bar.update(p.seen, fields);
    },
    epoch(m: EpochMetrics) {
      if (bar && active) bar.stop();
      active = false;
      write(epochLine(m, epochs));
    },
    lsuv: (layers: LsuvLayerResult[]) => write(lsuvLine(layers)),
    stage: (s: StageStart) => write(stageLine(s)),
    stop: () => bar?.stop(),
  };
}

/** `--weights`: the recipe starting from the file's weights; a UserError listing every mismatch. */
function loadStart(recipe: Recipe, options: TrainCommandOptions): StartWeights {
  try {
    return startFrom(recipe, options.weights!, options.weightsPartial);
  } catch (e) {
    if (e instanceof StartWeightsError) throw new UserError(e.message);
    throw e;
  }
}

/** `starting from runs/A/weights.safetensors (6 tensors)`, and with --weights-partial what was skipped. */
function startLine(start: StartWeights): string {
  const tensors = `${start.loaded} tensor${start.loaded === 1 ? '' : 's'}`;
  if (start.skipped.length === 0) return `starting from ${start.file} (${tensors})`;
  return (
    `starting from ${start.file} (${tensors}; the rest initialized), skipped:\n  ` +
    start.skipped.join('\n  ')
  );
}

export async function trainCommand(path: string, options: TrainCommandOptions): Promise<number> {
  // --resume continues a run (weights, optimizer state, step, schedules); --weights starts a new
  // one from saved weights. Both at once would have to drop one of them silently.
  if (options.weights && options.resume)
    throw new UserError(
      '--weights and --resume cannot be combined: --resume continues a run where it stopped, ' +
        '--weights starts a new run from saved weights',
    );
  if (options.weightsPartial && !options.weights)
    throw new UserError('--weights-partial needs --weights <file>');
  const { loaded, recipe: checked } = loadRecipe(path, options.recipe);
  const start = options.weights ? loadStart(checked, options) : undefined;
  const resumed = options.resume ? loadResume(options.resume) : undefined;
  // A resumed run's frozen layers keep the values it had (the --weights file's, if it had one).
  const recipe = resumed ? resumeRecipe(checked, resumed.checkpoint) : (start?.recipe ?? checked);
  const resume = resumed?.checkpoint;
  const data = prepareData(recipe, path, dataRoots(options.data));
  const compiled = compileRecipe(recipe);
  const epochs = options.epochs ?? recipe.epochs;
  const out = options.out ?? join('runs', recipe.name);
  const every = recipe.control.checkpoint;
  const checkpoint: TrainOptions['checkpoint'] = {
    dir: every?.dir ?? join(out, 'checkpoints'),
    every: every?.every ?? 1,
    unit: every?.unit ?? 'epoch',
  };
  // Where the run will write: checked now, not after the first epoch.
  const sizes = checkpointBytes(compiled);
  try {
    checkOutputs([
      { dir: out, what: `output folder ${out}`, bytes: sizes.weights },
      { dir: checkpoint.dir, what: `checkpoint folder ${checkpoint.dir}`, bytes: sizes.checkpoint },
    ]);
    // Nothing netspec did not make is replaced: checked before the first step, not at the end.
    checkRunFolder(out, '--out');
    for (const which of ['last', 'best']) checkCheckpointFolder(join(checkpoint.dir, which));
  } catch (e) {
    if (e instanceof OutputError || e instanceof OwnershipError) throw new UserError(e.message);
    throw e;
  }
  tidyCheckpoints(checkpoint.dir);
  claimRunFolder(out);
  const counts = `${data.train.count} train${data.validation ? `, ${data.validation.count} validation` : ''}, ${data.test?.count ?? 0} test`;
  if (!options.json)
    process.stdout.write(
      `training ${recipe.name}: ${recipe.model.name} on ${recipe.dataset.name} (${counts}), ${epochs} epochs\n`,
    );
  if (start) {
    const { file, loaded: tensors, skipped } = start;
    process.stdout.write(
      options.json
        ? JSON.stringify({ event: 'weights', file, loaded: tensors, skipped }) + '\n'
        : startLine(start) + '\n',
    );
  }
  const abort = new AbortController();
  const onInterrupt = () => abort.abort();
  process.once('SIGINT', onInterrupt);
  const progress = reporter(options.json, epochs);
  let result;
  try {
    result = await train(recipe, compiled, data, {
      epochs,
      threads: options.threads,
      device: options.device,
      checkpoint,
      resume,
      resumeBest: resumed?.best,
      startWeights: start !== undefined && start.skipped.length === 0,
      signal: abort.signal,
      onStep: progress.step,
      onEpoch: progress.epoch,
      onLsuv: progress.lsuv,
      onStage: progress.stage,
    });
  } catch (e) {
    // A run that failed before writing anything leaves no run folder behind.
    removeOwned(out, RUN_MARKER, []);
    if (e instanceof ResumeError) throw new UserError(`${options.resume}: ${e.message}`);
    // A checkpoint that could not be written mid-run (a full disk): said in one line.
    if (e instanceof CheckpointError) throw new UserError(e.message);
    if (e instanceof UnsupportedError) throw new UserError(`${path}: ${e.message}`);
    throw e;
  } finally {
    progress.stop();
    process.off('SIGINT', onInterrupt);
  }
  if (result.interrupted) {
    process.stdout.write(
      `interrupted: checkpoint written to ${checkpoint.dir}/last; continue with --resume ${checkpoint.dir}/last\n`,
    );
    return 130;
  }
  if (result.stopped && !result.diverged) process.stdout.write(`stopped: ${result.stopped}\n`);
  const tensors = new Map(
    compiled.manifest.parameters.map((p) => [
      p.name,
      { shape: p.shape, data: result.weights.get(p.name)! },
    ]),
  );
  const weightsPath = join(out, 'weights.safetensors');
  writeFileAtomic(
    weightsPath,
    encodeSafetensors(tensors, { spec: basename(path), recipe: recipe.name }),
  );
  // The per-class results of the final weights, on the test split (or validation): the same
  // computation as `netspec eval`, through the inference model.
  const heldOut = data.test ? 'test' : data.validation ? 'validation' : undefined;
  const classes = heldOut
    ? await splitClassReport(
        await createSession(compileInference(recipe.model, result.weights), options),
        recipe,
        data[heldOut]!,
        data.stats,
        heldOut,
        data.classNames,
      )
    : undefined;
  const summary = [
    `model ${recipe.model.name}, ${compiled.manifest.parameters.length} tensors`,
    `data ${recipe.dataset.name}: ${counts}, batch ${recipe.batch}`,
    `optimizer ${recipe.optimizer.def.name}, loss ${recipe.loss.def.name}, seed ${recipe.seed}`,
    result.diverged
      ? `diverged at ${result.stopped}`
      : result.stopped
        ? `stopped: ${result.stopped}`
        : `ran all ${epochs} epochs`,
  ];
  const page = writeReport(out, {
    recipe: recipe.name,
    specPath: path,
    sources: loaded.sources,
    history: result.history,
    summary,
    classes,
  });
  if (!options.json) process.stdout.write(`saved ${weightsPath}; report ${page}\n`);
  if (!result.diverged) return 0;
  // Saved, but the run failed: the last finite weights are kept for a look, the exit code says so.
  process.stderr.write(`${path}: training diverged at ${result.stopped}\n`);
  return 1;
}
