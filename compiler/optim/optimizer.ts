// What an optimizer is to netspec: torch.optim's arguments and defaults, the state it keeps per
// parameter, and its update rule emitted as graph nodes, so a training step is one ONNX model.
import type { ArgSpec, BoundArgs } from '../check/args.js';
import type { GraphBuilder } from '../ir/builder.js';

export interface UpdateInputs {
  param: string;
  grad: string;
  /** Current optimizer state for this parameter, by slot name. */
  state: Record<string, string>;
  /** Scalar learning rate (a graph input, so schedules live in the runtime). */
  lr: string;
  /** Scalar int64 count of steps taken before this one. */
  step: string;
}

export interface UpdateOutputs {
  param: string;
  state: Record<string, string>;
}

export interface OptimizerDef {
  name: string;
  doc: string;
  args: ArgSpec[];
  /** Names of per-parameter state tensors (shaped like the parameter, starting at zero). */
  slots(args: BoundArgs): string[];
  /**
   * A problem with how the bound arguments combine, which torch.optim refuses with a
   * ValueError (ranges of single arguments are the ArgSpecs' job); `arg` names the argument
   * to point at.
   */
  check?(args: BoundArgs): { arg: string; message: string } | undefined;
  update(b: GraphBuilder, inputs: UpdateInputs, args: BoundArgs): UpdateOutputs;
}
