// Test helper: compiles one network (usually one layer) to a graph that outputs, for a random
// direction v, y = net(x), L = Σ v·y, ∂L/∂x, ∂L/∂θ for every trainable parameter and, in train
// mode, every buffer's next value. The layer tests run it beside PyTorch or finite differences.
import ort from 'onnxruntime-node';
import { backward } from '../../../compiler/autodiff/backward.js';
import { lowerModel } from '../../../compiler/lower/forward.js';
import type { Model } from '../../../compiler/index.js';
import { checkSpec } from '../../../compiler/index.js';
import { GraphBuilder } from '../../../compiler/ir/builder.js';
import type { DType } from '../../../compiler/ir/graph.js';
import { serializeModel } from '../../../compiler/onnx/serialize.js';
import { onnx } from '../../../compiler/ops/index.js';

export const BATCH = 6;

/** The one standalone network `Net` of a spec that must check cleanly. */
export function networkOf(body: string, input: number[]): Model {
  const text = `network Net {\n  input x: [${input.join(', ')}]\n  x -> ${body}\n}\n`;
  const { spec, diagnostics } = checkSpec(text, 'probe.net');
  if (diagnostics.length > 0) throw new Error(diagnostics.map((d) => d.message).join('\n'));
  return spec.networks.get('Net')!;
}

export interface StateEntry {
  name: string;
  shape: number[];
  buffer: boolean;
}

export function stateOf(model: Model): StateEntry[] {
  return model.layers.flatMap((layer) =>
    layer.params.map((p) => ({
      name: `${layer.path}.${p.name}`,
      shape: p.shape,
      buffer: p.kind === 'buffer',
    })),
  );
}

export async function probe(
  model: Model,
  mode: 'train' | 'eval',
  dtype: DType = 'float32',
  seed = 1,
) {
  const b = new GraphBuilder('probe', dtype);
  const x = b.input('x', dtype, model.input.shape);
  const state = stateOf(model);
  for (const s of state) b.input(s.name, dtype, s.shape);
  const step = b.input('step', 'int64', []);
  const lowered = lowerModel(b, model, x, (name) => name, { mode, step, seed });
  const y = lowered.output;
  const v = b.input('v', dtype, b.info(y).shape);
  const axes = b.info(y).shape.map((_, i) => i);
  const loss = b.reduceSum(b.op(onnx.Mul, [y, v]), axes, false);
  const trainable = state.filter((s) => !s.buffer).map((s) => s.name);
  const grads = backward(b, loss, [x, ...trainable]);
  b.output(b.op(onnx.Identity, [y], {}, 'y'));
  b.output(b.op(onnx.Identity, [loss], {}, 'loss'));
  for (const [wrt, g] of grads) b.output(b.op(onnx.Identity, [g], {}, `${wrt}.grad`));
  for (const [name, next] of lowered.bufferUpdates)
    b.output(b.op(onnx.Identity, [next], {}, `${name}.next`));
  const session = await ort.InferenceSession.create(serializeModel(b.graph), {
    intraOpNumThreads: 1,
  });
  return { session, outputShape: b.info(y).shape };
}
