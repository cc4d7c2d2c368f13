// Runs training steps through the compiled several-step graph (compiler/lower/steps-loop.ts):
// one onnxruntime run takes a chunk of batches, carries parameters, optimizer state and
// buffers from step to step inside the run, and hands back the state after the last step
// with each step's loss, correct count and monitors. A chunk of one step is an ordinary step.
import type { CompiledRecipe, TensorEntry } from '../compiler/index.js';
import { carriedKey } from '../compiler/index.js';
import type { Chunk } from './data/chunks.js';
import type { StepNumbers } from './divergence.js';
import { ort } from './session.js';
import type { Feeds } from './train-state.js';

export interface StepRecord extends StepNumbers {
  correct: number;
  /** The step's monitoring outputs: grad_norm, param_norm, grad_variance when asked for. */
  monitors: Record<string, number>;
  /** Terms beside the data loss: weight_decay's `penalty`, SAM's `sam_loss`, when the recipe has them. */
  terms: Record<string, number>;
}

export interface ChunkResult {
  /** The state after the chunk's last step, named as `Feeds` name it (the train step's inputs). */
  state: Feeds;
  steps: StepRecord[];
  /** ‖θ‖ after the last update. */
  updatedNorm: number;
}

export class StepRunner {
  /** The training state's name for each carried tensor, by its carried key. */
  private stateNames = new Map<string, string>();

  constructor(
    private session: ort.InferenceSession,
    private compiled: CompiledRecipe,
  ) {
    for (const input of compiled.manifest.graphs.train.inputs) {
      const key = carriedKey(input.role);
      if (key) this.stateNames.set(key, input.name);
    }
  }

  release(): Promise<void> {
    return this.session.release();
  }

  /** Runs `chunk.steps` steps from `state`, the first numbered `firstStep`, at learning rates `rates`. */
  async run(
    state: Feeds,
    chunk: Chunk,
    firstStep: number,
    rates: Float32Array,
  ): Promise<ChunkResult> {
    const feeds: Feeds = {};
    for (const input of this.compiled.manifest.graphs.steps!.inputs) {
      feeds[input.name] = this.feed(input, state, chunk, firstStep, rates);
    }
    return this.read(await this.session.run(feeds), chunk.steps);
  }

  private feed(
    input: TensorEntry,
    state: Feeds,
    chunk: Chunk,
    firstStep: number,
    rates: Float32Array,
  ): ort.Tensor {
    const { steps, size, shape } = chunk;
    switch (input.role.kind) {
      case 'images':
        return new ort.Tensor('float32', chunk.images, [steps, size, ...shape]);
      case 'labels':
        return new ort.Tensor('int64', chunk.labels, [steps, size]);
      case 'lr':
        return new ort.Tensor('float32', rates.subarray(0, steps), [steps]);
      case 'step':
        return new ort.Tensor('int64', BigInt64Array.of(BigInt(firstStep)), []);
      default:
        return state[this.stateNames.get(carriedKey(input.role)!)!];
    }
  }

  private read(out: ort.InferenceSession.OnnxValueMapType, count: number): ChunkResult {
    const state: Feeds = {};
    const perStep = new Map<string, Float32Array>();
    const monitors: string[] = [];
    const terms: string[] = [];
    let updatedNorm = NaN;
    for (const output of this.compiled.manifest.graphs.steps!.outputs) {
      const { role } = output;
      const key = carriedKey(role);
      const value = out[output.name];
      if (key) state[this.stateNames.get(key)!] = value;
      else if (role.kind === 'updated_norm') updatedNorm = (value.data as Float32Array)[0];
      else if (role.kind === 'monitor') {
        perStep.set(role.monitor, value.data as Float32Array);
        monitors.push(role.monitor);
      } else if (role.kind === 'loss_term') {
        perStep.set(role.term, value.data as Float32Array);
        terms.push(role.term);
      } else perStep.set(role.kind, value.data as Float32Array);
    }
    const steps = Array.from({ length: count }, (_, j) => ({
      loss: perStep.get('loss')![j],
      correct: perStep.get('correct')![j],
      gradNorm: perStep.get('grad_norm')?.[j],
      paramNorm: perStep.get('param_norm')?.[j],
      monitors: Object.fromEntries(monitors.map((m) => [m, perStep.get(m)![j]])),
      terms: Object.fromEntries(terms.map((t) => [t, perStep.get(t)![j]])),
    }));
    return { state, steps, updatedNorm };
  }
}
