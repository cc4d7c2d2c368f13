// `netspec train`: load and check the spec, load the data, compile, train with progress
// output, then write the run folder — weights, metrics, report. Ctrl-C stops after the current
// step and writes a checkpoint; `--resume` continues from one exactly.
import { basename, dirname, join } from 'node:path';
import type { CompiledRecipe, Recipe } from '../../compiler/index.js';
import { compileInference } from '../../compiler/index.js';
import type { Checkpoint } from '../checkpoint.js';
import { checkpointNamedBy, findCheckpoint, tidyCheckpoints } from '../checkpoint.js';
import {
  checkCheckpointFolder,
  checkRunFolder,
  claimRunFolder,
  removeOwned,
  RUN_MARKER,
} from '../ownership.js';
import { checkOutputs, checkpointBytes } from '../output-check.js';
import type { StartWeights } from '../start-weights.js';
import { resumeRecipe, startFrom } from '../start-weights.js';
import { headerRows } from '../report/header.js';
import { writeReport } from '../report/report.js';
import type { Device, DeviceChoice } from '../device.js';
import { resolveDevice } from '../device.js';
import { createSession } from '../session.js';
import { bytePixels, untransformed } from '../data/batches.js';
import { batchOptions } from '../evaluate.js';
import { formatDiagnostic, summary } from './print.js';
import type { TrainOptions, TrainResult } from '../train.js';
import { defaultThreads, train } from '../train.js';
import { encodeSafetensors } from '../weights.js';
import { writeFileAtomic } from '../writes.js';
import { dataRoots } from './commands.js';
import { reporter } from './train-progress.js';
import type { PreparedData } from './data.js';
import { prepareData } from './data.js';
import { splitClassReport } from './eval-command.js';
import { loadRecipe } from './load.js';
import { UserError } from '../errors.js';
import { convLowering } from '../blocked-probe.js';
import type { CompileCache } from '../compile-cache.js';
import { compileCached, defaultCache } from '../compile-cache.js';
import { plural } from '../plural.js';
import { CODES } from '../../compiler/index.js';

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
  /** commander's `--no-cache`: false compiles afresh (runtime/compile-cache.ts). */
  cache?: boolean;
}

/**
 * A run folder (…/runs/X) or a checkpoint folder (…/checkpoints/last) to resume from — its
 * newest complete copy, wherever an interrupted write left it — and the best checkpoint beside
 * it (…/best) when there is one: restore_best needs the best weights seen before the
 * interruption.
 */
export function loadResume(path: string): { checkpoint: Checkpoint; best?: Checkpoint } {
  const dir = checkpointNamedBy(path);
  const found = findCheckpoint(dir);
  if (!found)
    throw new UserError(
      CODES.checkpoint,
      `${path}: no checkpoint there (looked for ${dir} and the copies an interrupted write leaves beside it)`,
    );
  const best =
    basename(dir) === 'best' ? undefined : findCheckpoint(join(dirname(found.dir), 'best'));
  return { checkpoint: found.checkpoint, best: best?.checkpoint };
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
  return startFrom(recipe, options.weights!, options.weightsPartial);
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
      CODES.commandLine,
      '--weights and --resume cannot be combined: --resume continues a run where it stopped, ' +
        '--weights starts a new run from saved weights',
    );
  if (options.weightsPartial && !options.weights)
    throw new UserError(CODES.commandLine, '--weights-partial needs --weights <file>');
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
    cache: defaultCache(process.env, options.cache !== false),
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
  /** Where compiled graphs are kept between runs; none: every run compiles. */
  cache?: CompileCache;
}

export interface RunOutcome {
  /** 0: finished (stopped early or not); 1: diverged; 130: interrupted, a checkpoint written. */
  code: number;
  result: TrainResult;
}

export async function runTraining(request: RunRequest): Promise<RunOutcome> {
  const { recipe, out, specPath: path } = request;
  const data = prepareData(recipe, path, request.dataRoots);
  // Untransformed byte pixels go to a GPU as they are stored, scaled there.
  const bytes =
    request.device === 'webgpu' &&
    bytePixels(data.train) &&
    untransformed(batchOptions(recipe, data.stats, true, 1));
  const conv = await convLowering(request.device);
  const { compiled } = compileCached(
    recipe,
    { target: request.device, conv, ...(bytes && { pixelScale: data.train.scale }) },
    request.cache,
  );
  // Nodes the device would hand to the CPU (NS3001): said before anything runs.
  for (const d of compiled.warnings)
    process.stderr.write(formatDiagnostic(d, request.sources) + '\n');
  if (compiled.warnings.length > 0) process.stderr.write(`${summary(compiled.warnings)}\n`);
  const epochs = request.epochs ?? recipe.epochs;
  const checkpoint = checkpointPlan(request);
  // Where the run will write: checked now, not after the first epoch.
  const sizes = checkpointBytes(compiled);
  checkOutputs([
    { dir: out, what: `output folder ${out}`, bytes: sizes.weights },
    { dir: checkpoint.dir, what: `checkpoint folder ${checkpoint.dir}`, bytes: sizes.checkpoint },
  ]);
  // Nothing netspec did not make is replaced: checked before the first step, not at the end.
  checkRunFolder(out, '--out');
  for (const which of ['last', 'best']) checkCheckpointFolder(join(checkpoint.dir, which));
  tidyCheckpoints(checkpoint.dir);
  claimRunFolder(out);
  announce(request, data, epochs);
  const started = performance.now();
  const result = await trainInterruptibly(request, compiled, data, {
    epochs,
    checkpoint,
    conv,
    compile: (stage, options) => compileCached(stage, options, request.cache).compiled,
  });
  if (result.interrupted) {
    process.stdout.write(
      `interrupted: checkpoint written to ${checkpoint.dir}/last; continue with --resume ${checkpoint.dir}/last\n`,
    );
    return { code: 130, result };
  }
  if (result.stopped && !result.diverged) process.stdout.write(`stopped: ${result.stopped}\n`);
  if (result.restored) process.stdout.write(`${restoredLine(result.restored)}\n`);
  const weightsPath = saveWeights(request, compiled, result);
  const seconds = (performance.now() - started) / 1000;
  const page = await writeRunReport(request, data, result, { epochs, seconds });
  if (!request.json) process.stdout.write(`saved ${weightsPath}; report ${page}\n`);
  if (!result.diverged) return { code: 0, result };
  // Saved, but the run failed: the last finite weights are kept for a look, the exit code says so.
  process.stderr.write(`${path}: training diverged at ${result.stopped}\n`);
  return { code: 1, result };
}

/** Where checkpoints go and how often: the request's folder, the recipe's, or `<out>/checkpoints`. */
function checkpointPlan(request: RunRequest): NonNullable<TrainOptions['checkpoint']> {
  const every = request.recipe.control.checkpoint;
  return {
    dir: request.checkpointDir ?? every?.dir ?? join(request.out, 'checkpoints'),
    every: every?.every ?? 1,
    unit: every?.unit ?? 'epoch',
  };
}

function splitCounts(data: PreparedData): string {
  const validation = data.validation ? `, ${data.validation.count} validation` : '';
  return `${data.train.count} train${validation}, ${data.test?.count ?? 0} test`;
}

/** The first lines: what trains on what, and the weights it starts from. */
function announce(request: RunRequest, data: PreparedData, epochs: number): void {
  const { recipe, start, json } = request;
  if (!json)
    process.stdout.write(
      `training ${recipe.name}: ${recipe.model.name} on ${recipe.dataset.name} (${splitCounts(data)}), ${plural(epochs, 'epoch')}\n`,
    );
  if (!start) return;
  const { file, loaded, skipped } = start;
  process.stdout.write(
    json
      ? JSON.stringify({ event: 'weights', file, loaded, skipped }) + '\n'
      : startLine(start) + '\n',
  );
}

/** Trains with progress output; Ctrl-C (or the request's signal) stops it with a checkpoint. */
async function trainInterruptibly(
  request: RunRequest,
  compiled: CompiledRecipe,
  data: PreparedData,
  plan: Pick<TrainOptions, 'epochs' | 'checkpoint' | 'conv' | 'compile'>,
): Promise<TrainResult> {
  const { recipe, start, resume } = request;
  const abort = new AbortController();
  const onInterrupt = () => abort.abort();
  process.once('SIGINT', onInterrupt);
  request.signal?.addEventListener('abort', onInterrupt);
  const progress = reporter(request.json, plan.epochs);
  try {
    return await train(recipe, compiled, data, {
      ...plan,
      threads: request.threads,
      device: request.device,
      noFallback: request.noFallback,
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
    // A run that failed before writing anything leaves no run folder behind.
    removeOwned(request.out, RUN_MARKER, []);
    throw e;
  } finally {
    progress.stop();
    process.off('SIGINT', onInterrupt);
    request.signal?.removeEventListener('abort', onInterrupt);
  }
}

/** The final weights as `<out>/weights.safetensors`; its path. */
function saveWeights(request: RunRequest, compiled: CompiledRecipe, result: TrainResult): string {
  const { out, recipe, specPath } = request;
  const tensors = new Map(
    compiled.manifest.parameters.map((p) => [
      p.name,
      { shape: p.shape, data: result.weights.get(p.name)! },
    ]),
  );
  const weightsPath = join(out, 'weights.safetensors');
  const metadata = { spec: basename(specPath), recipe: recipe.name };
  writeFileAtomic(weightsPath, encodeSafetensors(tensors, metadata));
  return weightsPath;
}

/**
 * The run report: the settings as resolved, the curves, and the per-class results of the final
 * weights on the test split (or validation) — the computation of `netspec eval`, through the
 * inference model. Its page's path.
 */
async function writeRunReport(
  request: RunRequest,
  data: PreparedData,
  result: TrainResult,
  run: { epochs: number; seconds: number },
): Promise<string> {
  const { recipe, start, resume } = request;
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
    data: `${recipe.dataset.name}: ${splitCounts(data)}`,
    epochs: {
      asked: run.epochs,
      ran: result.history.length,
      fromCommandLine: request.epochs !== undefined,
    },
    steps: result.steps.step.at(-1) ?? 0,
    device: request.device,
    threads: request.threads || defaultThreads(recipe),
    seconds: run.seconds,
    ended: ended(result, run.epochs),
    finalWeights: finalWeights(result),
    start: start ? `--weights ${start.file}` : resume ? `--resume ${resume.from}` : undefined,
  });
  return writeReport(request.out, {
    recipe: recipe.name,
    specPath: request.specPath,
    sources: request.sources,
    history: result.history,
    steps: result.steps,
    header,
    classes,
  });
}
