// Runs a compiled train step over fixed batches the way the oracle tests need it: parameters
// and buffers from netspec's seeded initialization, optimizer state at zero, each step's
// `.next` outputs fed to the next step. One copy, shared by every PyTorch comparison.
import ort from 'onnxruntime-node';
import type { CompiledRecipe, Recipe } from '../../compiler/index.js';
import { initialParameters } from '../../compiler/index.js';

export interface StepBatch {
  x: number[];
  shape: number[];
  labels: number[];
}

const INIT_SEED = 5;

export async function runTrainSteps(
  recipe: Recipe,
  compiled: CompiledRecipe,
  batches: StepBatch[],
) {
  const session = await ort.InferenceSession.create(compiled.train, { intraOpNumThreads: 1 });
  const initial = initialParameters(recipe.model, INIT_SEED);
  const state: Record<string, ort.Tensor> = {};
  for (const input of compiled.manifest.graphs.train.inputs) {
    const dims = input.shape as number[];
    const { role } = input;
    if (role.kind === 'param' || role.kind === 'buffer') {
      const name = role.kind === 'param' ? role.param : role.buffer;
      state[input.name] = new ort.Tensor('float32', initial.get(name)!, dims);
    }
    if (role.kind === 'state') {
      state[input.name] = new ort.Tensor(
        'float32',
        new Float32Array(dims.reduce((a, b) => a * b, 1)),
        dims,
      );
    }
  }
  const outputs: Record<string, ort.Tensor>[] = [];
  for (const [step, batch] of batches.entries()) {
    const out = await session.run({
      ...state,
      [recipe.model.input.name]: new ort.Tensor('float32', Float32Array.from(batch.x), batch.shape),
      labels: new ort.Tensor('int64', BigInt64Array.from(batch.labels.map(BigInt)), [
        batch.labels.length,
      ]),
      lr: new ort.Tensor('float32', Float32Array.of(compiled.manifest.learningRate), []),
      step: new ort.Tensor('int64', BigInt64Array.of(BigInt(step)), []),
    });
    outputs.push(out);
    for (const name of Object.keys(state)) state[name] = out[`${name}.next`];
  }
  const scalars = (name: string) => outputs.map((o) => (o[name].data as Float32Array)[0]);
  const values = (name: string) => Array.from(state[name].data as Float32Array);
  return { initial, outputs, scalars, values };
}
