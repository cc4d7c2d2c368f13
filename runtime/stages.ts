// Training stages (`unfreeze layer4.* after 1 epoch`): when an epoch begins a new stage, the
// step graphs are compiled again with those modules trainable, and the run's state is carried
// over — every weight kept (a module that was frozen brings the values its graph constants had),
// optimizer state for the newly trained parameters at zero, their step count starting there as
// torch's per-parameter state does. Which stage an epoch trains in follows from the epoch alone,
// so a resumed run finds its stage from the checkpoint's epoch and step counts.
import type {
  CompiledRecipe,
  ConvLowering,
  Recipe,
  StepCompileOptions,
} from '../compiler/index.js';
import { compileRecipe, STANDARD_CONV, stageAt, stageRecipe } from '../compiler/index.js';
import type { Checkpoint } from './checkpoint.js';
import type { NamedTensor } from './weights.js';
import { ort } from './session.js';
import type { Feeds } from './train-state.js';
import { initialState, namedTensors, stateFrom, stateName } from './train-state.js';

/** How a stage's graphs are compiled: compileRecipe, or through the graph cache. */
export type CompileStage = (recipe: Recipe, options: StepCompileOptions) => CompiledRecipe;

/** A stage beginning, as the progress output reports it. */
export interface StageStart {
  epoch: number;
  /** The modules that begin training, and their parameter count. */
  modules: string[];
  parameters: number;
}

export class Stages {
  private compiledByStage = new Map<number, CompiledRecipe>();

  constructor(
    private recipe: Recipe,
    first: CompiledRecipe,
    private conv: ConvLowering = STANDARD_CONV,
    private compile: CompileStage = compileRecipe,
  ) {
    this.compiledByStage.set(0, first);
  }

  /** The stage epoch `epoch` (1-based) trains in. */
  at(epoch: number): number {
    return stageAt(this.recipe, epoch);
  }

  /**
   * The stage whose graphs produced a checkpoint's state: the current epoch's when it stopped
   * mid-epoch, the finished epoch's when it was written at an epoch's end.
   */
  producedBy(progress: { epoch: number; batchesDone: number }): number {
    return this.at(progress.batchesDone > 0 ? progress.epoch : Math.max(1, progress.epoch - 1));
  }

  /** Stage k's compiled graphs; `stepsAtEpoch` gives when each earlier stage began. */
  compiled(k: number, stepsAtEpoch: readonly number[]): CompiledRecipe {
    const cached = this.compiledByStage.get(k);
    if (cached) return cached;
    const stepOffsets = new Map<string, number>();
    for (const stage of (this.recipe.stages ?? []).slice(0, k)) {
      const began = stepsAtEpoch[stage.after - 1] ?? 0;
      for (const layer of this.recipe.model.layers) {
        if (!stage.paths.includes(layer.path)) continue;
        for (const p of layer.params) stepOffsets.set(`${layer.path}.${p.name}`, began);
      }
    }
    const target = this.compiledByStage.get(0)!.target;
    const compiled = this.compile(stageRecipe(this.recipe, k), {
      stepOffsets,
      target,
      conv: this.conv,
    });
    this.compiledByStage.set(k, compiled);
    return compiled;
  }

  /** What begins training at stage k (1-based stages; stage 0 is the start). */
  start(k: number, epoch: number): StageStart {
    const modules = this.recipe.stages?.[k - 1]?.paths ?? [];
    let parameters = 0;
    for (const layer of this.recipe.model.layers) {
      if (!modules.includes(layer.path)) continue;
      for (const p of layer.params) {
        if (p.kind !== 'buffer') parameters += p.shape.reduce((n, d) => n * d, 1);
      }
    }
    return { epoch, modules, parameters };
  }

  /**
   * `state` of `from`'s graphs as the inputs of `to`'s: weights kept, new optimizer state zero.
   * `saved` (a checkpoint's weights) overrides the values `from`'s frozen layers have as graph
   * constants, which are the spec's or the current run's, not those the checkpoint was taken with.
   */
  carry(
    state: Feeds,
    from: CompiledRecipe,
    to: CompiledRecipe,
    saved?: ReadonlyMap<string, NamedTensor>,
  ): Feeds {
    const weights = new Map([
      ...namedTensors(state, this.recipe, from, 'weight'),
      ...(saved ?? []),
    ]);
    const optimizer = namedTensors(state, this.recipe, from, 'optimizer');
    const feeds = initialState(this.recipe, to);
    for (const input of to.manifest.graphs.train.inputs) {
      const name = stateName(input);
      const saved = name && (name.kind === 'weight' ? weights : optimizer).get(name.name);
      if (saved) feeds[input.name] = new ort.Tensor('float32', saved.data, saved.shape);
    }
    return feeds;
  }

  /**
   * A checkpoint's state as inputs of `to`'s graphs: read with the graphs of the stage that
   * wrote it (a best checkpoint may be of an earlier stage than the run resumes in), then
   * carried. The list of mismatches when it does not fit the model.
   */
  restore(checkpoint: Checkpoint, to: CompiledRecipe): Feeds | string[] {
    const { state } = checkpoint;
    const progress = (state.control as { progress: { epoch: number; batchesDone: number } })
      .progress;
    const from = this.compiled(this.producedBy(progress), state.stepsAtEpoch);
    const base = initialState(this.recipe, from);
    const feeds = stateFrom(from, checkpoint.weights, checkpoint.optimizer, base);
    if (Array.isArray(feeds) || from === to) return feeds;
    return this.carry(feeds, from, to, checkpoint.weights);
  }
}
