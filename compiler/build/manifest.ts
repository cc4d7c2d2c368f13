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
  | { kind: 'loss' }
  | { kind: 'correct' }
  | { kind: 'logits' }
  | { kind: 'gradient'; param: string }
  /**
   * A train-step statistic to log, not fed back: `grad_norm` (global ‖g‖ of the objective's
   * gradient at θ, before SAM and clipping), `param_norm` (‖θ‖ before the update).
   */
  | { kind: 'monitor'; monitor: string };

export interface TensorEntry {
  name: string;
  dtype: DType;
  /** 'N' is the batch. */
  shape: Shape;
  role: Role;
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
  graphs: { train: GraphEntry; eval: GraphEntry; infer: GraphEntry };
}
