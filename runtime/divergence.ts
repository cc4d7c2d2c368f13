// A loss or gradient that stops being finite ends training at the step where it happened, and
// the weights kept are the last finite ones. Each step reports ‖θ‖ of the parameters it
// started from, its loss and its gradient norm; a several-step run also reports ‖θ‖ after its
// last update. So every state a run produced is checked, the last one included.

/** What one training step reported. */
export interface StepNumbers {
  loss: number;
  /** ‖g‖, before clipping. */
  gradNorm?: number;
  /** ‖θ‖ of the parameters the step started from. */
  paramNorm?: number;
}

export interface Divergence {
  /** The step (0-based within the run) where it happened. */
  index: number;
  /** How many of the run's steps to keep: the state after them is the last finite one. */
  keep: number;
  /** What stopped being finite, in words. */
  reason: string;
}

const format = (v: number) => String(v);
/** ‖θ‖ overflows float32 (or is NaN) after an update: parameters beyond any use, or not finite. */
const updated = (norm: number) => `its update made ‖θ‖ ${format(norm)}`;

/** The first step of a run whose numbers are not finite, if any; `updatedNorm` is ‖θ‖ at its end. */
export function firstDivergence(
  steps: readonly StepNumbers[],
  updatedNorm: number,
): Divergence | undefined {
  for (let i = 0; i < steps.length; i++) {
    const { loss, gradNorm, paramNorm } = steps[i];
    if (paramNorm !== undefined && !Number.isFinite(paramNorm)) {
      // The previous step's update made them so; at a run's first step, they came that way.
      if (i === 0) return { index: 0, keep: 0, reason: `‖θ‖ is ${format(paramNorm)} at its start` };
      return { index: i - 1, keep: i - 1, reason: updated(paramNorm) };
    }
    if (!Number.isFinite(loss)) {
      return { index: i, keep: i, reason: `the training loss is ${format(loss)}` };
    }
    if (gradNorm !== undefined && !Number.isFinite(gradNorm)) {
      return { index: i, keep: i, reason: `the gradient norm is ${format(gradNorm)}` };
    }
  }
  if (steps.length > 0 && !Number.isFinite(updatedNorm)) {
    const index = steps.length - 1;
    return { index, keep: index, reason: updated(updatedNorm) };
  }
  return undefined;
}

/** Where a run stood when `d` happened: its first step's number, the epoch, the last finite loss. */
export interface DivergenceContext {
  firstStep: number;
  epoch: number;
  lastLoss?: number;
}

/** `step 3 (epoch 1): its update made ‖θ‖ Infinity; kept the weights after step 2 (…)`. */
export function divergenceMessage(d: Divergence, at: DivergenceContext): string {
  const kept = at.firstStep + d.keep;
  const weights = kept === 0 ? 'the starting weights' : `the weights after step ${kept}`;
  const loss =
    kept > 0 && at.lastLoss !== undefined
      ? ` (last finite loss ${at.lastLoss}, at step ${kept})`
      : '';
  const where = `step ${at.firstStep + d.index + 1} (epoch ${at.epoch})`;
  return `${where}: ${d.reason}; kept ${weights}${loss}`;
}
