// Control flow: Loop, which runs several training steps in one onnxruntime run
// (lower/steps-loop.ts). Its outputs' types are stated by the builder (`GraphBuilder.node`).
import { defineOp, fail } from './op.js';

export const Loop = defineOp({
  name: 'Loop',
  doc: 'runs its body graph up to M times while the condition holds, carrying values between runs',
  inputs: ['M', 'cond', 'v_initial...'],
  indexInputs: ['M'],
  outputs: ['v_final_and_scan_outputs...'],
  attrs: { body: 'graph' },
  shape: () => fail('Loop: the builder states its outputs’ types'),
  gradient: { unsupported: 'netspec loops over whole training steps, never differentiated' },
  since: 16,
  webgpu: 'no WebGPU kernel in onnxruntime 1.30 (each iteration would copy its state to the CPU)',
  cuda: true,
});
