// `netspec train`: load and check the spec, load the data, compile, train with progress
// output, then write the run folder — weights, metrics, report. Ctrl-C stops after the current
// step and writes a checkpoint; `--resume` continues from one exactly.
import { existsSync, mkdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import cliProgress from 'cli-progress';
import type { Recipe } from '../../compiler/index.js';
import { compileInference, compileRecipe } from '../../compiler/index.js';
import type { Checkpoint } from '../checkpoint.js';
import type { LsuvLayerResult } from '../lsuv.js';
import { CheckpointError, readCheckpoint } from '../checkpoint.js';
import { checkOutputs, checkpointBytes, OutputError } from '../output-check.js';
import type { StartWeights } from '../start-weights.js';
import { resumeRecipe, startFrom, StartWeightsError } from '../start-weights.js';
import { headerRows } from '../report/header.js';
import { writeReport } from '../report/report.js';
import type { StageStart } from '../stages.js';
import type { Device, DeviceChoice } from '../device.js';
import { resolveDevice } from '../device.js';
import { createSession } from '../session.js';
import { bytePixels, untransformed } from '../data/batches.js';
import { batchOptions } from '../evaluate.js';
import { formatDiagnostic, summary } from './print.js';
import type { EpochMetrics, StepProgress, TrainOptions, TrainResult } from '../train.js';
import { defaultThreads, ResumeError, train, UnsupportedError } from '../train.js';
import { encodeSafetensors, writeFileAtomic } from '../weights.js';
import { dataRoots, epochLine } from './commands.js';
import { prepareData } from './data.js';
import { splitClassReport } from './eval-command.js';
import { loadRecipe } from './load.js';
import { UserError } from './errors.js';
import { plural } from '../plural.js';

export interface TrainCommandOptions {
  recipe?: string;
  epochs?: number;
  out?: string;
  data: string[];
  threads: number;
  device: DeviceChoice;
  /** Fail rather than run on the CPU what the device cannot (`--no-fallback`). */
  noFallback?: boolean;
  resume?: string;
  /** Start from these weights (a safetensors file, or a run or checkpoint folder). */
  weights?: string;
  /** With `weights`: load the tensors that fit, initialize the rest (PyTorch's strict=False). */
  weightsPartial?: boolean;
  json?: boolean;
}

/**
 * A run folder (…/runs/X) or a checkpoint folder (…/checkpoints/last) to resume from, and the
 * best checkpoint beside it (…/best) when there is one: restore_best needs the best weights
 * seen before the interruption.
 */
export function loadResume(path: string): { checkpoint: Checkpoint; best?: Checkpoint } {
  const candidates = [path, join(path, 'checkpoints', 'last'), join(path, 'last')];
  const dir = candidates.find((c) => existsSync(join(c, 'state.json')));
  if (!dir)
    throw new UserError(
      `${path}: no checkpoint there (looked for state.json in ${candidates.join(', ')})`,
    );
  const bestDir = join(dirname(resolve(dir)), 'best');
  const hasBest = basename(resolve(dir)) !== 'best' && existsSync(join(bestDir, 'state.json'));
  try {
    return { checkpoint: readCheckpoint(dir), best: hasBest ? readCheckpoint(bestDir) : undefined };
  } catch (e) {
    if (e instanceof CheckpointError || e instanceof SyntaxError)
      throw new UserError((e as Error).message);
    throw e;
  }
}

/** `init = lsuv`'s result: each layer's output variance on the first batch, before → after. */
function lsuvLine(layers: LsuvLayerResult[]): string {
  const each = layers.map(
    (l) =>
      `${l.layer} ${l.before.toPrecision(3)} → ${l.after.toPrecision(3)}` +
      ` (${plural(l.rescales, 'rescale')})`,
  );
  return `lsuv: output variance on the first batch: ${each.join(', ')}`;
}

/** Progress: a bar on a terminal, one line per epoch otherwise, JSON events with --json. */
/** `epoch 2: layer4.0.conv1, layer4.0.bn1, … (12 modules, 8,393,728 parameters) train from now on`. */
function stageLine(s: StageStart): string {
  const shown = s.modules.length > 3 ? [...s.modules.slice(0, 3), '…'] : s.modules;
  const count = plural(s.modules.length, 'module');
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

/** Why the run ended, for the report's header. */
function ended(result: TrainResult, epochs: number): string {
  if (result.diverged) return `diverged at ${result.stopped}`;
  if (result.stopped) return result.stopped;
  return `ran all ${plural(epochs, 'epoch')}`;
}

/** Which weights the run ended with, for the report's header. */
function finalWeights(result: TrainResult): string {
  if (result.restored) {
    const { epoch, monitor, value } = result.restored;
    const best = value === undefined ? '' : ` ${Number(value.toPrecision(5))}`;
    return `epoch ${epoch}'s, restored by early stopping (best ${monitor}${best})`;
  }
  const last = result.history.at(-1);
  const step = result.steps.step.at(-1) ?? 0;
  if (result.diverged) return `the last finite ones, after step ${step}`;
  if (!last) return 'the initial ones';
  const part = last.partial ? `, ${last.partial.steps} of its ${last.partial.of} steps` : '';
  return `after step ${step.toLocaleString('en-US')} (epoch ${last.epoch}${part})`;
}

/** `early stopping: the final weights are epoch 3's (best val_loss 0.3121)`. */
export function restoredLine(restored: NonNullable<TrainResult['restored']>): string {
  const value = restored.value === undefined ? '' : ` ${Number(restored.value.toPrecision(5))}`;
  return `early stopping: the final weights are epoch ${restored.epoch}'s (best ${restored.monitor}${value})`;
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
  const tensors = plural(start.loaded, 'tensor');
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
  const outcome = await runTraining({
    specPath: path,
    sources: loaded.sources,
    recipe,
    out: options.out ?? join('runs', recipe.name),
    epochs: options.epochs,
    dataRoots: dataRoots(options.data),
    threads: options.threads,
    device: resolveDevice(options.device),
    noFallback: options.noFallback,
    json: options.json,
    resume: resumed && { ...resumed, from: options.resume! },
    start,
  });
  return outcome.code;
}

/** A run of a checked recipe into an output folder: what `train` and each sweep trial do. */
export interface RunRequest {
  specPath: string;
  /** The spec and its imports, copied into the report. */
  sources: Map<string, string>;
  recipe: Recipe;
  out: string;
  /** Where checkpoints go instead of the recipe's `checkpoint` folder (or `<out>/checkpoints`). */
  checkpointDir?: string;
  epochs?: number;
  dataRoots: string[];
  threads: number;
  device: Device;
  noFallback?: boolean;
  json?: boolean;
  resume?: { checkpoint: Checkpoint; best?: Checkpoint; from: string };
  start?: StartWeights;
  /** Stops the run like Ctrl-C: a checkpoint, then exit code 130. */
  signal?: AbortSignal;
}

export interface RunOutcome {
  /** 0: finished (stopped early or not); 1: diverged; 130: interrupted, a checkpoint written. */
  code: number;
  result: TrainResult;
}

export async function runTraining(request: RunRequest): Promise<RunOutcome> {
  const { recipe, start, resume, out, specPath: path } = request;
  const data = prepareData(recipe, path, request.dataRoots);
  // Untransformed byte pixels go to a GPU as they are stored, scaled there.
  const bytes =
    request.device === 'webgpu' &&
    bytePixels(data.train) &&
    untransformed(batchOptions(recipe, data.stats, true, 1));
  const compiled = compileRecipe(recipe, {
    target: request.device,
    ...(bytes && { pixelScale: data.train.scale }),
  });
  // Nodes the device would hand to the CPU (NS3001): said before anything runs.
  for (const d of compiled.warnings)
    process.stderr.write(formatDiagnostic(d, request.sources) + '\n');
  if (compiled.warnings.length > 0) process.stderr.write(`${summary(compiled.warnings)}\n`);
  const epochs = request.epochs ?? recipe.epochs;
  const every = recipe.control.checkpoint;
  const checkpoint: TrainOptions['checkpoint'] = {
    dir: request.checkpointDir ?? every?.dir ?? join(out, 'checkpoints'),
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
  } catch (e) {
    if (e instanceof OutputError) throw new UserError(e.message);
    throw e;
  }
  const counts = `${data.train.count} train${data.validation ? `, ${data.validation.count} validation` : ''}, ${data.test?.count ?? 0} test`;
  if (!request.json)
    process.stdout.write(
      `training ${recipe.name}: ${recipe.model.name} on ${recipe.dataset.name} (${counts}), ${plural(epochs, 'epoch')}\n`,
    );
  if (start) {
    const { file, loaded: tensors, skipped } = start;
    process.stdout.write(
      request.json
        ? JSON.stringify({ event: 'weights', file, loaded: tensors, skipped }) + '\n'
        : startLine(start) + '\n',
    );
  }
  const started = performance.now();
  const abort = new AbortController();
  const onInterrupt = () => abort.abort();
  process.once('SIGINT', onInterrupt);
  request.signal?.addEventListener('abort', onInterrupt);
  const progress = reporter(request.json, epochs);
  let result;
  try {
    result = await train(recipe, compiled, data, {
      epochs,
      threads: request.threads,
      device: request.device,
      noFallback: request.noFallback,
      checkpoint,
      resume: resume?.checkpoint,
      resumeBest: resume?.best,
      startWeights: start !== undefined && start.skipped.length === 0,
      signal: abort.signal,
      onStep: progress.step,
      onEpoch: progress.epoch,
      onLsuv: progress.lsuv,
      onStage: progress.stage,
    });
  } catch (e) {
    if (e instanceof ResumeError) throw new UserError(`${resume?.from}: ${e.message}`);
    // A checkpoint that could not be written mid-run (a full disk): said in one line.
    if (e instanceof CheckpointError) throw new UserError(e.message);
    if (e instanceof UnsupportedError) throw new UserError(`${path}: ${e.message}`);
    throw e;
  } finally {
    progress.stop();
    process.off('SIGINT', onInterrupt);
    request.signal?.removeEventListener('abort', onInterrupt);
  }
  if (result.interrupted) {
    process.stdout.write(
      `interrupted: checkpoint written to ${checkpoint.dir}/last; continue with --resume ${checkpoint.dir}/last\n`,
    );
    return { code: 130, result };
  }
  if (result.stopped && !result.diverged) process.stdout.write(`stopped: ${result.stopped}\n`);
  if (result.restored) process.stdout.write(`${restoredLine(result.restored)}\n`);
  mkdirSync(out, { recursive: true });
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
        await createSession(compileInference(recipe.model, result.weights), request),
        recipe,
        data[heldOut]!,
        data.stats,
        heldOut,
        data.classNames,
      )
    : undefined;
  const header = headerRows({
    recipe,
    data: `${recipe.dataset.name}: ${counts}`,
    epochs: {
      asked: epochs,
      ran: result.history.length,
      fromCommandLine: request.epochs !== undefined,
    },
    steps: result.steps.step.at(-1) ?? 0,
    device: request.device,
    threads: request.threads || defaultThreads(recipe),
    seconds: (performance.now() - started) / 1000,
    ended: ended(result, epochs),
    finalWeights: finalWeights(result),
    start: start ? `--weights ${start.file}` : resume ? `--resume ${resume.from}` : undefined,
  });
  const page = writeReport(out, {
    recipe: recipe.name,
    specPath: path,
    sources: request.sources,
    history: result.history,
    steps: result.steps,
    header,
    classes,
  });
  if (!request.json) process.stdout.write(`saved ${weightsPath}; report ${page}\n`);
  if (!result.diverged) return { code: 0, result };
  // Saved, but the run failed: the last finite weights are kept for a look, the exit code says so.
  process.stderr.write(`${path}: training diverged at ${result.stopped}\n`);
  return { code: 1, result };
}
