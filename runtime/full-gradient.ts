// The notes' gradient magnitude ‖∇f(θ)‖ over the whole training set, for `stop when
// full_grad_norm < ε`: each batch's gradient of the objective in evaluation mode (no dropout,
// batch norm's running statistics; compileGradient), weighted by its size, summed in float64.
// It costs a forward and backward pass over every training example (docs/language.md).
import type { Recipe } from '../compiler/index.js';
import { compileGradient, stageRecipe } from '../compiler/index.js';
import type { BatchOptions } from './data/batches.js';
import { batches, epochOrder } from './data/batches.js';
import type { Split } from './data/dataset.js';
import type { SessionOptions } from './session.js';
import { createSession, ort } from './session.js';
import type { Feeds } from './train-state.js';

/** Batches of this many examples: large enough to keep onnxruntime busy, as evaluation's. */
const BATCH = 500;

export class FullGradient {
  /** The gradient graph of one training stage (its trainable parameters). */
  private compiled?: { stage: number; session: ort.InferenceSession; names: string[] };

  constructor(
    private recipe: Recipe,
    private sessions: SessionOptions,
  ) {}

  /** ‖∇f(θ)‖ at `weights` (the stage's parameters and buffers) over `split`. */
  async norm(
    stage: number,
    weights: Feeds,
    split: Split,
    input: { imagesName: string; feeding: BatchOptions },
  ): Promise<number> {
    const { session, names } = await this.graph(stage);
    const { imagesName, feeding } = input;
    const sums: Float64Array[] = [];
    for (const batch of batches(split, epochOrder(split.count, false, 0, 0), BATCH, feeding)) {
      const out = await session.run({
        ...weights,
        [imagesName]: new ort.Tensor('float32', batch.images, [batch.size, ...batch.shape]),
        labels: new ort.Tensor('int64', batch.labels, [batch.size]),
      });
      names.forEach((name, i) => {
        const g = out[name].data as Float32Array;
        const sum = (sums[i] ??= new Float64Array(g.length));
        for (let j = 0; j < g.length; j++) sum[j] += g[j] * batch.size;
      });
    }
    let squares = 0;
    for (const sum of sums) for (const v of sum) squares += (v / split.count) ** 2;
    return Math.sqrt(squares);
  }

  async release(): Promise<void> {
    await this.compiled?.session.release();
    this.compiled = undefined;
  }

  private async graph(stage: number) {
    if (this.compiled?.stage === stage) return this.compiled;
    await this.release();
    const { graph, onnx } = compileGradient(stageRecipe(this.recipe, stage));
    const names = graph.outputs.filter((o) => o.role.kind === 'gradient').map((o) => o.name);
    this.compiled = { stage, session: await createSession(onnx, this.sessions), names };
    return this.compiled;
  }
}
