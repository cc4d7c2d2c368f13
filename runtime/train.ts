// The training loop: onnxruntime runs of the compiled step graphs over minibatches, several
// steps per run on the CPU and CUDA (an ONNX Loop), one step per run on WebGPU with the state
// left on the device (device-steps.ts). The manifest's roles say which outputs feed which
// inputs next step (parameters, buffers, optimizer state), so this loop knows nothing about any
// particular optimizer or model. The recipe's run control sets the learning rate before each step and decides after each step,
// period or epoch whether to stop; checkpoints capture everything needed to continue exactly.
import { availableParallelism } from 'node:os';
import type { CompiledRecipe, ConvLowering, Recipe } from '../compiler/index.js';
import { forwardFlops } from '../compiler/index.js';
import type { Checkpoint } from './checkpoint.js';
import { writeCheckpoint } from './checkpoint.js';
import type { PeriodValues } from './control.js';
import { RunController } from './control.js';
import { epochOrder } from './data/batches.js';
import type { Images } from './data/batches.js';
import type { Split } from './data/dataset.js';
import type { Chunk } from './data/chunks.js';
import { firstSteps, planChunks } from './data/chunks.js';
import { pixelChunks, prefetchedChunks } from './data/prefetch.js';
import type { ChannelStats } from './data/transforms/pipeline.js';
import { divergenceMessage, firstDivergence } from './divergence.js';
import { batchOptions, evaluate } from './evaluate.js';
import { FullGradient } from './full-gradient.js';
import type { StepLog, Sums } from './step-log.js';
import { addStep, emptySums, logStep, newStepLog } from './step-log.js';
import type { LsuvOptions } from './lsuv.js';
import { lsuvInitialize } from './lsuv.js';
import { createSession, ort } from './session.js';
import type { StepRecord } from './step-runner.js';
import { StepRunner } from './step-runner.js';
import type { ChunkResult } from './step-runner.js';
import type { Transfers } from './device-steps.js';
import { DeviceStepRunner, HostCopies, labelType, releaseState } from './device-steps.js';
import { deviceFailure } from './device-failure.js';
import type { CompileStage, StageStart } from './stages.js';
import { Stages } from './stages.js';
import type { Feeds } from './train-state.js';
import { copyState, initialState, namedTensors, weightFeeds } from './train-state.js';
import type { EpochProgress } from './resume.js';
import { bestBeforeResume, checkpointOf, freshProgress, resume } from './resume.js';

export interface EpochMetrics {
  epoch: number;
  /** Mean data loss of the epoch's steps: the loss function alone, without regularization terms. */
  trainLoss: number;
  trainAccuracy: number;
  /**
   * Epoch means of the terms beside the data loss: `penalty` (weight_decay's λ·Σ‖θ‖², which the
   * optimizer minimizes with the loss) and `sam_loss` (the data loss at SAM's ascent point).
   */
  terms?: Record<string, number>;
  /** The run stopped during this epoch, after `steps` of its `of` steps. */
  partial?: { steps: number; of: number };
  testLoss?: number;
  testAccuracy?: number;
  /** On the validation split, when the dataset has one. */
  valLoss?: number;
  valAccuracy?: number;
  /** The learning rate of the epoch's last step. */
  lr: number;
  /**
   * Monitoring outputs of the epoch's last step (grad_norm, param_norm, grad_variance), and
   * full_grad_norm (‖∇f(θ)‖ over the training set) where the stop condition tests it.
   */
  monitors?: Record<string, number>;
  imagesPerSecond: number;
  seconds: number;
  /**
   * Of `seconds`, the time the loop spent waiting for its next training batch (loading,
   * transforming, or a prefetch that had not finished), not running steps. Absent in
   * checkpoints written before it was measured.
   */
  dataSeconds?: number;
}

export interface StepProgress {
  epoch: number;
  step: number;
  seen: number;
  total: number;
  /** Mean data loss and accuracy of the epoch so far. */
  loss: number;
  accuracy: number;
  /** This step's own data loss and learning rate. */
  stepLoss: number;
  lr: number;
  imagesPerSecond: number;
}

export interface TrainOptions extends LsuvOptions {
  epochs: number;
  onEpoch?: (metrics: EpochMetrics) => void;
  onStep?: (progress: StepProgress) => void;
  /**
   * How `compiled` lowers convolutions (runtime/blocked-probe.ts's `convLowering`); later
   * stages are compiled the same way. Standard ops when absent.
   */
  conv?: ConvLowering;
  /** How later stages' graphs are compiled (through the graph cache); compileRecipe when absent. */
  compile?: CompileStage;
  /** A training stage begins (`unfreeze … after N epochs`). */
  onStage?: (stage: StageStart) => void;
  /** Where and how often to write checkpoints (`<dir>/last`, `<dir>/best`). */
  checkpoint?: { dir: string; every: number; unit: 'epoch' | 'step' };
  /** Continue from a checkpoint instead of starting afresh. */
  resume?: Checkpoint;
  /** With `resume`: the run's best checkpoint (`<dir>/best`), for early stopping's restore_best. */
  resumeBest?: Checkpoint;
  /**
   * The run starts from saved weights (`--weights`) covering every parameter and buffer, so
   * LSUV, an initialization, does not run. (With `--weights-partial` this is false: LSUV
   * rescales only the layers the file did not provide, as for an imported model's new layers.)
   */
  startWeights?: boolean;
  /** Aborting stops after the current run of steps, writing a checkpoint when checkpoints are on. */
  signal?: AbortSignal;
  /**
   * Training steps per onnxruntime run (default STEPS_PER_RUN, data/chunks.ts): the state stays inside
   * onnxruntime between them. Results are the same for any value.
   */
  stepsPerRun?: number;
}

export interface TrainResult {
  weights: Map<string, Float32Array>;
  history: EpochMetrics[];
  /** Every step's data loss and learning rate (and loss terms), for the report. */
  steps: StepLog;
  /** Why the run ended early (a stop condition, early stopping, interruption), if it did. */
  stopped?: string;
  /** Early stopping's restore_best: the epoch whose weights the final ones are, and its value. */
  restored?: { epoch: number; monitor: string; value?: number };
  /** The loss, gradient or parameters stopped being finite: `stopped` says where and why. */
  diverged?: boolean;
  interrupted: boolean;
  /** On a device that keeps the state: the bytes moved between it and the host, and steps. */
  transfers?: Transfers;
}

export interface TrainData {
  train: Split;
  test?: Split;
  validation?: Split;
  stats?: ChannelStats;
}

/** One run of steps over a chunk of batches: the Loop graph's, or single steps on a device. */
interface Runner {
  run(
    state: Feeds,
    chunk: Chunk<Images>,
    firstStep: number,
    rates: Float32Array,
  ): Promise<ChunkResult>;
  release(): Promise<void>;
}

class Run {
  state: Feeds;
  step = 0;
  history: EpochMetrics[] = [];
  stepsAtEpoch: number[] = [];
  best?: Feeds;
  /** The epoch `best` is from. */
  private bestEpoch?: number;
  monitors: Record<string, number> = {};
  progress: EpochProgress;
  /** Sums over the stop condition's current period of N steps. */
  period: Sums = emptySums();
  stepLog: StepLog = newStepLog();
  /** Made when first evaluating, so that creating it does not delay the first step. */
  private evalSession?: Promise<ort.InferenceSession>;
  private fullGradient?: FullGradient;
  readonly controller: RunController;
  private imagesName: string;
  private imagePixels: number;
  /** The loss of the last step taken, for the message when training diverges. */
  private lastLoss?: number;
  /** `unfreeze … after N epochs`: the stage whose graphs `compiled` holds. */
  private stages: Stages;
  private stage = 0;
  /** Where the state lives on a device (WebGPU): brings it to the host when asked. */
  private host?: HostCopies;
  private transfers?: Transfers;

  constructor(
    readonly recipe: Recipe,
    public compiled: CompiledRecipe,
    readonly data: TrainData,
    readonly options: TrainOptions,
  ) {
    const entry = compiled.manifest.graphs.train;
    const images = entry.inputs.find((i) => i.role.kind === 'images')!;
    this.imagesName = images.name;
    this.imagePixels = images.shape.reduce<number>((n, d) => n * (d === 'N' ? 1 : d), 1);
    this.controller = this.newController();
    this.state = initialState(recipe, compiled);
    this.stages = new Stages(recipe, compiled, options.conv, options.compile);
    if (!compiled.steps) this.host = new HostCopies(this.sessionOptions());
    this.progress = freshProgress(1);
    if (options.resume) this.restore(options.resume);
  }

  private restore(checkpoint: Checkpoint): void {
    const resumed = resume(checkpoint, this.recipe, this.stages);
    [this.stage, this.compiled, this.state] = [resumed.stage, resumed.compiled, resumed.state];
    [this.step, this.history, this.stepsAtEpoch] = [
      resumed.step,
      resumed.history,
      resumed.stepsAtEpoch,
    ];
    [this.progress, this.period, this.stepLog] = [
      resumed.progress,
      resumed.period,
      resumed.stepLog,
    ];
    this.controller.restore(this.history, this.stepsAtEpoch, resumed.memory);
    if (!this.recipe.control.earlyStop?.restoreBest) return;
    const replay = this.newController();
    const best = bestBeforeResume(
      this.recipe,
      resumed,
      replay,
      this.stages,
      this.options.resumeBest,
    );
    [this.best, this.bestEpoch] = [best?.best, best?.epoch];
  }

  /** Learning rates and stop conditions for this run, from step 0. */
  private newController(): RunController {
    const stepsPerEpoch = Math.ceil(this.data.train.count / this.recipe.batch);
    const { learningRate } = this.compiled.manifest;
    return new RunController(this.recipe, learningRate, stepsPerEpoch, this.options.epochs);
  }

  private sessionOptions() {
    const { options } = this;
    return { ...options, threads: options.threads || defaultThreads(this.recipe) };
  }

  /** Several steps per run in the Loop graph, or on a device without Loop one per run. */
  private async runner(): Promise<Runner> {
    const sessions = this.sessionOptions();
    if (this.compiled.steps)
      return new StepRunner(await createSession(this.compiled.steps, sessions), this.compiled);
    const runner = await DeviceStepRunner.create(this.compiled, sessions);
    // One count for the whole run, across stages.
    if (this.transfers) Object.assign(runner.transfers, this.transfers);
    this.transfers = runner.transfers;
    return runner;
  }

  async run(): Promise<TrainResult> {
    try {
      return await this.train();
    } catch (e) {
      throw deviceFailure(e, this.failureContext());
    }
  }

  /** What a device failure's message says about where the run stood. */
  private failureContext() {
    return {
      batch: this.recipe.batch,
      step: this.step,
      epoch: this.progress.epoch,
      memory: this.compiled.memory,
      checkpoints: this.options.checkpoint?.dir,
      written: this.lastCheckpoint,
    };
  }

  private evaluator(): Promise<ort.InferenceSession> {
    this.evalSession ??= createSession(this.compiled.eval, this.sessionOptions());
    return this.evalSession;
  }

  private async releaseEvaluator(): Promise<void> {
    const session = this.evalSession;
    this.evalSession = undefined;
    await (await session)?.release();
  }

  private async train(): Promise<TrainResult> {
    const { options } = this;
    const sessions = this.sessionOptions();
    let runner = await this.runner();
    // The gradient pass of full_grad_norm is a CPU graph, fed the weights on the host.
    this.fullGradient = new FullGradient(this.recipe, { ...sessions, device: 'cpu' });
    let stopped: string | undefined;
    try {
      while (this.progress.epoch <= options.epochs && !stopped) {
        if (await this.enterStage(this.progress.epoch)) {
          await Promise.all([runner.release(), this.releaseEvaluator()]);
          runner = await this.runner();
        }
        const end = await this.epoch(runner);
        if (end === 'interrupted')
          return await this.finish('interrupted: a checkpoint was written', true);
        if ('diverged' in end) return await this.finish(end.diverged, false, true);
        stopped = await this.afterEpoch(end.stopped);
      }
      const restored = this.restoreBest();
      return { ...(await this.finish(stopped, false)), restored };
    } finally {
      await Promise.all([this.fullGradient.release(), this.host?.release()]);
    }
  }

  /**
   * The state as host tensors (`copy`: never the ones the run goes on updating): on a device,
   * its tensors brought back; on the host, the tensors themselves or a copy.
   */
  private async hostState(copy = false): Promise<Feeds> {
    if (this.host) return this.host.toHost(this.state, this.transfers);
    return copy ? copyState(this.state) : this.state;
  }

  /** A copy of the state as the best so far; on a device, only where restore_best will use it. */
  private async bestCopy(): Promise<Feeds | undefined> {
    if (this.host && !this.recipe.control.earlyStop?.restoreBest) return undefined;
    return this.hostState(true);
  }

  /** The run goes on from `state`; what the old state held on the device is freed. */
  private replaceState(state: Feeds): void {
    releaseState(this.state, state);
    this.state = state;
  }

  /**
   * Evaluates the epoch (whole, or cut short by a stop condition), asks the controller whether
   * to stop, and records it; the reason to stop, if any.
   */
  private async afterEpoch(stoppedWithin: string | undefined): Promise<string | undefined> {
    const metrics = await this.endEpoch();
    const outcome = this.controller.afterEpoch(metrics, this.step);
    if (outcome.best) [this.best, this.bestEpoch] = [await this.bestCopy(), metrics.epoch];
    this.history.push(metrics);
    this.stepsAtEpoch.push(this.step);
    this.progress = freshProgress(metrics.epoch + 1);
    this.options.onEpoch?.(metrics);
    // An epoch cut short is not a whole one: a checkpoint of it could not resume where it was.
    if (!metrics.partial) await this.maybeCheckpoint('epoch', metrics.epoch, outcome.best);
    return stoppedWithin ?? outcome.stop;
  }

  /**
   * restore_best: the best epoch's weights become the final ones; which epoch that was, when it
   * was not the last (then the final weights are simply the last ones).
   */
  private restoreBest(): TrainResult['restored'] {
    const early = this.recipe.control.earlyStop;
    if (!this.best || !early?.restoreBest || this.bestEpoch === undefined) return undefined;
    this.replaceState(this.best);
    if (this.bestEpoch === this.history.at(-1)?.epoch) return undefined;
    return { epoch: this.bestEpoch, monitor: early.monitor, value: this.controller.best };
  }

  /** Switches to the graphs of the stage `epoch` trains in; true when they changed. */
  private async enterStage(epoch: number): Promise<boolean> {
    const next = this.stages.at(epoch);
    if (next === this.stage) return false;
    const compiled = this.stages.compiled(next, this.stepsAtEpoch);
    this.replaceState(this.stages.carry(await this.hostState(), this.compiled, compiled));
    if (this.best) this.best = this.stages.carry(this.best, this.compiled, compiled);
    [this.stage, this.compiled] = [next, compiled];
    this.options.onStage?.(this.stages.start(next, epoch));
    return true;
  }

  /**
   * Runs the rest of the current epoch: to its end, to a stop condition that holds within it,
   * to an interruption, or to a divergence.
   */
  private async epoch(
    runner: Runner,
  ): Promise<{ stopped?: string } | 'interrupted' | { diverged: string }> {
    const { recipe, data, progress } = this;
    const started = performance.now() - progress.seconds * 1000;
    const order = epochOrder(data.train.count, recipe.shuffle, recipe.seed, progress.epoch);
    const feeding = batchOptions(recipe, data.stats, true, progress.epoch);
    // Batches already done before a resume are skipped: the order is derived, not stored.
    const remaining = order.subarray(Math.min(order.length, progress.batchesDone * recipe.batch));
    const { controller } = this;
    const pixels = this.compiled.pixelScale !== undefined;
    const plan = planChunks({
      batchBytes: (pixels ? 1 : 4) * recipe.batch * this.imagePixels,
      stepsPerRun: this.options.stepsPerRun,
      checkpoint: this.options.checkpoint,
      firstStep: this.step,
      // A chunk ends where the stop condition is checked, so a run stops at exactly that step.
      endsAfter: (step) =>
        controller.afterStep(step) !== undefined || controller.periodEndsAt(step),
    });
    const chunks: AsyncIterable<Chunk<Images>> = pixels
      ? pixelChunks(data.train, remaining, recipe.batch, feeding.dropLast ?? false, plan)
      : prefetchedChunks(data.train, remaining, recipe.batch, feeding, plan);
    // From the end of one run to the next chunk in hand: time the loop waits for data.
    let waiting = performance.now();
    for await (const chunk of chunks) {
      progress.dataSeconds = (progress.dataSeconds ?? 0) + (performance.now() - waiting) / 1000;
      const diverged = await this.runChunk(runner, chunk, started);
      if (diverged) return { diverged };
      await this.maybeCheckpoint('step', this.step, false);
      const stopped = await this.stopAfterSteps();
      if (stopped) return { stopped };
      if (this.options.signal?.aborted) {
        await this.writeCheckpoint('last');
        return 'interrupted';
      }
      waiting = performance.now();
    }
    return {};
  }

  /**
   * After a chunk: the stop condition's step quantities, and at the end of an `every N steps`
   * period the whole condition over that period (evaluating held-out data and the full
   * gradient when it tests them). The reason to stop, if it holds.
   */
  private async stopAfterSteps(): Promise<string | undefined> {
    const { controller } = this;
    const now = controller.afterStep(this.step);
    if (now || !controller.periodEndsAt(this.step)) return now;
    const p = this.period;
    const values: PeriodValues = {
      loss: p.lossSum / p.seen,
      accuracy: p.correct / p.seen,
      batchGradNorm: this.monitors.grad_norm,
      ...(await this.heldOutIfTested()),
      fullGradNorm: controller.tests('full_grad_norm') ? await this.fullGradNorm() : undefined,
    };
    this.period = emptySums();
    return controller.afterPeriod(values, this.step, this.history.length);
  }

  private async heldOutIfTested(): Promise<Pick<PeriodValues, 'valLoss' | 'valAccuracy'>> {
    const tested = this.controller.tests('val_loss') || this.controller.tests('val_accuracy');
    const split = this.data.validation ?? this.data.test;
    if (!tested || !split) return {};
    const feeding = batchOptions(this.recipe, this.data.stats, false, this.progress.epoch);
    const weights = weightFeeds(this.state, this.compiled);
    const v = await evaluate(
      await this.evaluator(),
      weights,
      split,
      this.imagesName,
      feeding,
      this.labelType(),
    );
    return { valLoss: v.loss, valAccuracy: v.accuracy };
  }

  /** The eval graph's label type: int64, or int32 on a device that computes no int64. */
  private labelType() {
    return labelType(this.compiled.manifest.graphs.eval.inputs.find((i) => i.name === 'labels')!);
  }

  /** ‖∇f(θ)‖ of the current weights over the whole training set. */
  private async fullGradNorm(): Promise<number> {
    const feeding = batchOptions(this.recipe, this.data.stats, false, this.progress.epoch);
    const weights = weightFeeds(await this.hostState(), this.compiled);
    const input = { imagesName: this.imagesName, feeding };
    return this.fullGradient!.norm(this.stage, weights, this.data.train, input);
  }

  /**
   * Runs a chunk's steps and records them. When one of them diverges, the state becomes the
   * last finite one — the chunk's start, or its first steps run again from there (the same
   * numbers: runs are deterministic) — and the message says what happened.
   */
  private async runChunk(
    runner: Runner,
    chunk: Chunk<Images>,
    epochStarted: number,
  ): Promise<string | undefined> {
    const [start, first, progress] = [this.state, this.step, this.progress];
    const rates = Float32Array.from({ length: chunk.steps }, (_, j) =>
      this.controller.rate(first + j, progress.epoch - 1),
    );
    const result = await runner.run(start, chunk, first, rates);
    progress.seconds = (performance.now() - epochStarted) / 1000;
    const divergence = firstDivergence(result.steps, result.updatedNorm);
    const kept = divergence?.keep ?? chunk.steps;
    result.steps.slice(0, kept).forEach((step, j) => this.record(step, chunk.size, rates[j]));
    if (!divergence) {
      this.replaceState(result.state);
      return undefined;
    }
    releaseState(result.state, start);
    if (kept > 0)
      this.replaceState((await runner.run(start, firstSteps(chunk, kept), first, rates)).state);
    const where = { firstStep: first, epoch: progress.epoch, lastLoss: this.lastLoss };
    return divergenceMessage(divergence, where);
  }

  private record(step: StepRecord, size: number, lr: number): void {
    const { progress } = this;
    this.step++;
    progress.batchesDone++;
    addStep(progress, step, size);
    addStep(this.period, step, size);
    logStep(this.stepLog, { step: this.step, epoch: progress.epoch, size, lr }, step);
    this.monitors = step.monitors;
    this.lastLoss = step.loss;
    this.options.onStep?.(this.stepProgress(step.loss, lr));
  }

  private stepProgress(stepLoss: number, lr: number): StepProgress {
    const p = this.progress;
    return {
      epoch: p.epoch,
      step: this.step,
      seen: p.seen,
      total: this.data.train.count,
      loss: p.lossSum / p.seen,
      accuracy: p.correct / p.seen,
      stepLoss,
      lr,
      imagesPerSecond: p.seen / Math.max(p.seconds, 1e-9),
    };
  }

  private async endEpoch(): Promise<EpochMetrics> {
    const p = this.progress;
    const session = await this.evaluator();
    const metrics: EpochMetrics = {
      epoch: p.epoch,
      trainLoss: p.lossSum / p.seen,
      trainAccuracy: p.correct / p.seen,
      ...termMeans(p),
      ...this.partial(),
      lr: this.controller.rate(Math.max(0, this.step - 1), p.epoch - 1),
      monitors: { ...this.monitors },
      imagesPerSecond: p.seen / p.seconds,
      seconds: p.seconds,
      dataSeconds: p.dataSeconds,
    };
    if (this.controller.tests('full_grad_norm') && this.controller.checksAfterEpoch(p.epoch))
      metrics.monitors!.full_grad_norm = await this.fullGradNorm();
    // On a device the eval graph reads the weights where they are.
    const weights = weightFeeds(this.state, this.compiled);
    const feeding = batchOptions(this.recipe, this.data.stats, false, p.epoch);
    const input = [this.imagesName, feeding, this.labelType()] as const;
    if (this.data.validation) {
      const v = await evaluate(session, weights, this.data.validation, ...input);
      [metrics.valLoss, metrics.valAccuracy] = [v.loss, v.accuracy];
    }
    if (this.data.test) {
      const t = await evaluate(session, weights, this.data.test, ...input);
      [metrics.testLoss, metrics.testAccuracy] = [t.loss, t.accuracy];
    }
    return metrics;
  }

  /** `partial` for an epoch a stop condition cut short. */
  private partial(): Pick<EpochMetrics, 'partial'> {
    const of = this.recipe.dropLast
      ? Math.floor(this.data.train.count / this.recipe.batch)
      : Math.ceil(this.data.train.count / this.recipe.batch);
    const steps = this.progress.batchesDone;
    return steps < of ? { partial: { steps, of } } : {};
  }

  private async maybeCheckpoint(unit: 'epoch' | 'step', count: number, best: boolean) {
    const every = this.options.checkpoint;
    if (!every) return;
    if (every.unit === unit && count % every.every === 0) await this.writeCheckpoint('last');
    if (best && unit === 'epoch') await this.writeCheckpoint('best');
  }

  /** The step of the last checkpoint written (`last`), for a device failure's message. */
  private lastCheckpoint?: number;

  async writeCheckpoint(which: 'last' | 'best'): Promise<void> {
    const dir = this.options.checkpoint?.dir;
    if (!dir) return;
    const tensors = await this.hostState();
    const { recipe, compiled, controller } = this;
    writeCheckpoint(`${dir}/${which}`, checkpointOf(recipe, compiled, tensors, this, controller));
    if (which === 'last') this.lastCheckpoint = this.step;
  }

  private async finish(
    stopped: string | undefined,
    interrupted: boolean,
    diverged = false,
  ): Promise<TrainResult> {
    const weights = new Map<string, Float32Array>();
    const state = await this.hostState();
    for (const [name, t] of namedTensors(state, this.recipe, this.compiled, 'weight'))
      weights.set(name, t.data);
    releaseState(this.state);
    const { history, stepLog: steps, transfers } = this;
    return {
      weights,
      history,
      steps,
      stopped,
      interrupted,
      diverged,
      ...(transfers && { transfers }),
    };
  }
}

/** An epoch's mean loss terms (penalty, sam_loss), when the recipe has any. */
function termMeans(p: Sums): Pick<EpochMetrics, 'terms'> {
  const names = Object.keys(p.termSums);
  if (names.length === 0) return {};
  return { terms: Object.fromEntries(names.map((t) => [t, p.termSums[t] / p.seen])) };
}

/**
 * Threads when the user chose none: every core for real work, one for a step too small to
 * split (docs/decisions/0008-threads.md has the measurements behind the 100 MFLOP line).
 */
export function defaultThreads(recipe: Recipe): number {
  const batchFlops = forwardFlops(recipe.model) * recipe.batch;
  return batchFlops >= 1e8 ? availableParallelism() : 1;
}

export async function train(
  recipe: Recipe,
  compiled: CompiledRecipe,
  data: TrainData,
  options: TrainOptions,
): Promise<TrainResult> {
  const run = new Run(recipe, compiled, data, options);
  // A fresh run's drawn weights are rescaled on its first minibatch; a resumed one has its own,
  // and one started from saved weights (`--weights`) keeps them as they were saved.
  if (recipe.init?.name === 'lsuv' && !options.resume && !options.startWeights) {
    // On the CPU whatever the device: its probe graph is a one-off, of the initial weights.
    const lsuv = await lsuvInitialize(recipe, data.train, data.stats, run.state, {
      ...options,
      device: 'cpu',
    });
    run.state = lsuv.state;
    options.onLsuv?.(lsuv.layers);
  }
  return run.run();
}
