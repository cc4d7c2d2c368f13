// The manifest names every input and output of the compiled graphs and its role, so the
// runtime drives any recipe generically (it never guesses what a tensor is for).
import type { DType, Shape } from '../ir/graph.js';

export type Role =
  | { kind: 'images' }
  | { kind: 'labels' }
  | { kind: 'lr' }
  | { kind: 'step' }
  | { kind: 'param'; param: string }
  | { kind: 'state'; param: string; slot: string }
  /** Batch norm running statistics: fed like parameters, `<name>.next` in train mode, never trained. */
  | { kind: 'buffer'; buffer: string }
  /** The data loss: the loss function of the batch, without regularization terms. */
  | { kind: 'loss' }
  /**
   * A term reported beside the data loss: `penalty` (weight_decay's λ·Σ‖θ‖², which the step
   * minimizes with the loss) and `sam_loss` (the data loss at SAM's ascent point θ + ρ·g/‖g‖).
   */
  | { kind: 'loss_term'; term: string }
  | { kind: 'correct' }
  | { kind: 'logits' }
  | { kind: 'gradient'; param: string }
  /**
   * A train-step statistic to log, not fed back: `grad_norm` (global ‖g‖ of the objective's
   * gradient at θ, before SAM and clipping), `param_norm` (‖θ‖ before the update).
   */
  | { kind: 'monitor'; monitor: string }
  /** ‖θ‖ after a run's last update: the state it hands back is checked too. */
  | { kind: 'updated_norm' };

export interface TensorEntry {
  name: string;
  dtype: DType;
  /** 'N' is the batch. */
  shape: Shape;
  role: Role;
  /** A leading dimension of steps comes before `shape` (the several-step graph's batches). */
  perStep?: boolean;
}

export interface GraphEntry {
  file: string;
  inputs: TensorEntry[];
  outputs: TensorEntry[];
}

export interface ParameterEntry {
  name: string;
  shape: number[];
  /** false for buffers (running statistics): saved and exported with the weights, not trained. */
  trainable: boolean;
}

export interface Manifest {
  format: 'netspec-manifest';
  version: 1;
  recipe: string;
  opset: number;
  parameters: ParameterEntry[];
  /** The optimizer's learning rate, fed to the train step's `lr` input. */
  learningRate: number;
  /** Optimizer state slots per parameter, e.g. momentum_buffer. */
  optimizerSlots: string[];
  /**
   * `steps` runs the train step several times in one onnxruntime run (lower/steps-loop.ts);
   * absent for a target without Loop, whose runs are single steps.
   */
  graphs: { train: GraphEntry; steps?: GraphEntry; eval: GraphEntry; infer: GraphEntry };
}

/**
 * What a carried train-step tensor is — a parameter, an optimizer slot, a buffer — as a key
 * that its input and its next-step output share; undefined for everything else.
 */
export function carriedKey(role: Role): string | undefined {
  if (role.kind === 'param') return `param:${role.param}`;
  if (role.kind === 'state') return `state:${role.param}.${role.slot}`;
  if (role.kind === 'buffer') return `buffer:${role.buffer}`;
  return undefined;
}
