// The devices netspec compiles graphs for, and what differs between them beyond the ops each
// runs (every op's verdict per device is in its definition, compiler/ops/): the integer type of
// labels and the step counter, and whether a run takes several steps (an ONNX Loop) or one.
import type { DType } from './ir/graph.js';

export type Target = 'cpu' | 'webgpu' | 'cuda';
export const TARGETS: readonly Target[] = ['cpu', 'webgpu', 'cuda'];

interface TargetDef {
  /**
   * Whether int64 values are computed with. Where not, they are only shapes, axes and indices,
   * a node that adds, compares or casts them runs on the CPU, and labels and the step counter
   * are int32.
   */
  int64: boolean;
  /**
   * Several steps per onnxruntime run, as an ONNX Loop carrying the state (so it crosses to
   * the host once per run); else one step per run, the state left on the device between runs.
   */
  loop: boolean;
}

const TARGET_DEFS: Record<Target, TargetDef> = {
  cpu: { int64: true, loop: true },
  // onnxruntime's WebGPU provider computes no int64 and has no Loop kernel (each iteration
  // would copy the state to the CPU), but it can leave a run's outputs on the device to be
  // fed back (preferredOutputLocation), which CUDA cannot from Node.
  webgpu: { int64: false, loop: false },
  cuda: { int64: true, loop: true },
};

/** Whether `target` computes with int64 values (not only reads them as shapes and indices). */
export function computesInt64(target: Target): boolean {
  return TARGET_DEFS[target].int64;
}

/** The integer type of labels and the step counter on `target`. */
export function integerType(target: Target): DType {
  return TARGET_DEFS[target].int64 ? 'int64' : 'int32';
}

/** Whether `target` runs several steps per run in the steps graph's Loop. */
export function stepsInLoop(target: Target): boolean {
  return TARGET_DEFS[target].loop;
}
