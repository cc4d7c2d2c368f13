// What a checkpoint carries of a run beyond its tensors (the epoch in progress, the stop rule's
// memory), and continuing a run from one: the state it resumes with, and restore_best's best
// state from before the interruption.
import type { CompiledRecipe, Recipe } from '../compiler/index.js';
import type { Checkpoint, CheckpointState } from './checkpoint.js';
import type { ControlMemory, RunController } from './control.js';
import type { Stages } from './stages.js';
import type { StepLog, Sums } from './step-log.js';
import { emptySums, newStepLog } from './step-log.js';
import type { EpochMetrics } from './train.js';
import type { Feeds } from './train-state.js';
import { copyState, namedTensors } from './train-state.js';
import { CODES } from '../compiler/index.js';
import { UserError } from './errors.js';

/** Where an epoch stands: enough to continue it mid-way after a resume. */
export interface EpochProgress extends Sums {
  epoch: number;
  batchesDone: number;
  seconds: number;
  /** Of `seconds`, waiting for batches (absent in older checkpoints). */
  dataSeconds?: number;
}

/** The start of an epoch: nothing done yet. */
export function freshProgress(epoch: number): EpochProgress {
  return { epoch, batchesDone: 0, ...emptySums(), seconds: 0, dataSeconds: 0 };
}

/** What a checkpoint's `control` holds: the epoch in progress and the stop condition's memory. */
interface ControlState {
  progress: EpochProgress;
  /** The `every N steps` period in progress (absent in older checkpoints). */
  period?: Sums;
  memory?: ControlMemory;
}

/** A run's position: everything a checkpoint stores besides the tensors. */
export interface RunPosition {
  step: number;
  history: EpochMetrics[];
  stepsAtEpoch: number[];
  progress: EpochProgress;
  period: Sums;
  stepLog: StepLog;
}

/** The tensors and position of a run, as `writeCheckpoint` takes them. */
export function checkpointOf(
  recipe: Recipe,
  compiled: CompiledRecipe,
  state: Feeds,
  at: RunPosition,
  controller: RunController,
): Checkpoint {
  const contents: CheckpointState = {
    format: 'netspec-checkpoint',
    version: 1,
    recipe: recipe.name,
    epoch: at.history.length,
    step: at.step,
    history: at.history,
    stepsAtEpoch: at.stepsAtEpoch,
    steps: at.stepLog,
    control: {
      progress: at.progress,
      period: at.period,
      memory: controller.memory(),
    } satisfies ControlState,
  };
  return {
    weights: namedTensors(state, recipe, compiled, 'weight'),
    optimizer: namedTensors(state, recipe, compiled, 'optimizer'),
    state: contents,
  };
}

/** A run resumed from a checkpoint: its stage and graphs, its state and its position. */
export interface Resumed extends RunPosition {
  stage: number;
  compiled: CompiledRecipe;
  state: Feeds;
  memory?: ControlMemory;
}

/** The run `checkpoint` continues; a UserError when it is not one of `recipe`'s. */
export function resume(checkpoint: Checkpoint, recipe: Recipe, stages: Stages): Resumed {
  const saved = checkpoint.state;
  const refuse = (problem: string) =>
    new UserError(CODES.checkpoint, `${checkpoint.dir ?? 'the checkpoint'}: ${problem}`);
  if (saved.recipe !== recipe.name)
    throw refuse(`the checkpoint is of recipe '${saved.recipe}', not '${recipe.name}'`);
  // The checkpoint holds the state of the stage that wrote it, derived from its epoch count.
  const control = saved.control as ControlState;
  const progress = { ...emptySums(), ...control.progress };
  const stage = stages.producedBy(progress);
  const compiled = stages.compiled(stage, saved.stepsAtEpoch);
  const state = stages.restore(checkpoint, compiled);
  if (Array.isArray(state))
    throw refuse(`the checkpoint does not fit the spec's model:\n  ${state.join('\n  ')}`);
  return {
    stage,
    compiled,
    state,
    step: saved.step,
    history: saved.history as EpochMetrics[],
    stepsAtEpoch: saved.stepsAtEpoch,
    progress,
    period: { ...emptySums(), ...control.period },
    stepLog: { ...newStepLog(), ...saved.steps },
    memory: control.memory,
  };
}

/**
 * restore_best across a resume: the best state seen before the interruption is not in memory,
 * but in the best checkpoint (`saved`). It counts when its epoch is the one the replayed
 * history calls best; when the resumed checkpoint itself ends the best epoch (a run stopped
 * between writing `last` and `best`), the resumed state is the best. Undefined when no epoch
 * was best yet.
 */
export function bestBeforeResume(
  recipe: Recipe,
  resumed: Resumed,
  replay: RunController,
  stages: Stages,
  saved: Checkpoint | undefined,
): { best?: Feeds; epoch: number } | undefined {
  let epoch: number | undefined;
  resumed.history.forEach((m, i) => {
    if (replay.afterEpoch(m, resumed.stepsAtEpoch[i]).best) epoch = m.epoch;
  });
  if (epoch === undefined) return undefined;
  if (saved && saved.state.recipe === recipe.name && saved.state.epoch === epoch) {
    const best = stages.restore(saved, resumed.compiled);
    if (!Array.isArray(best)) return { best, epoch };
  }
  if (epoch === resumed.history.length && resumed.progress.batchesDone === 0)
    return { best: copyState(resumed.state), epoch };
  return { epoch };
}
