// Several training steps in one onnxruntime `run`: the train step becomes the body of an ONNX
// Loop that carries parameters, optimizer state and buffers from each step to the next, and
// reads step k's images, labels and learning rate from inputs stacked along a leading steps
// dimension. onnxruntime-node hands a run's outputs back as fresh JavaScript buffers; carrying
// the state inside the run does that once per K steps instead of once per step, with
// bit-identical results (docs/decisions/0010-steps-per-run-and-divergence.md).
import { GraphBuilder } from '../ir/builder.js';
import type { Graph, ValueInfo } from '../ir/graph.js';
import { tensor } from '../ir/graph.js';
import type { Role, TensorEntry } from './manifest.js';
import { carriedKey } from './manifest.js';
import { globalNorm } from './regularize.js';
import type { BuiltGraph } from './steps.js';
import { onnx } from '../ops/index.js';

/** Inputs of the train step that change from step to step, fed stacked (one row per step). */
const PER_STEP: Role['kind'][] = ['images', 'labels', 'lr'];

/** Outer names, prefixed so that no body value (a layer path, an origin) can collide with one. */
const start = (name: string) => `start:${name}`;
const end = (name: string) => `end:${name}`;
const steps = (name: string) => `steps:${name}`;

/**
 * The Loop graph of a train step. Inputs: the carried state (`start:` + the step's input name),
 * the stacked per-step inputs (`steps:` + name, a leading dimension K) and the first step's
 * number (`first_step`; step k is first_step + k). Outputs: the state after the last step
 * (`end:` + the step's output name), each step's other outputs stacked (`steps:` + name) and
 * ‖θ‖ after the last update (`end:param_norm`), so a caller can check every state the run made.
 * K is the images' leading dimension.
 */
export function buildStepsLoop(step: BuiltGraph): BuiltGraph {
  const carried = carriedPairs(step);
  const floatType = step.inputs.find((i) => i.role.kind === 'lr')!.dtype;
  const b = new GraphBuilder(`${step.graph.name}.steps`, floatType);
  const inputs: TensorEntry[] = [];
  const outputs: TensorEntry[] = [];
  for (const [input] of carried) {
    b.input(start(input.name), input.dtype, input.shape);
    inputs.push({ ...input, name: start(input.name) });
  }
  for (const input of step.inputs.filter((i) => PER_STEP.includes(i.role.kind))) {
    b.input(steps(input.name), input.dtype, input.shape);
    b.graph.inputs.at(-1)!.perStep = true;
    inputs.push({ ...input, name: steps(input.name), perStep: true });
  }
  const stepInput = step.inputs.find((i) => i.role.kind === 'step')!;
  const first = b.input('first_step', 'int64', []);
  inputs.push({ ...stepInput, name: first });

  const images = steps(step.inputs.find((i) => i.role.kind === 'images')!.name);
  const shape = b.op(onnx.Shape, [images]);
  const count = b.fresh('steps');
  b.node(onnx.Gather, [shape, b.scalar(0, 'int64')], [{ name: count, dtype: 'int64', shape: [] }]);
  const always = b.op(onnx.Constant, [], { value: tensor('bool', [], Uint8Array.of(1)) });
  const perStep = step.outputs.filter((o) => !carriedKey(o.role));
  const loopOutputs: ValueInfo[] = [
    ...carried.map(([, o]) => ({ name: end(o.name), dtype: o.dtype, shape: o.shape })),
    ...perStep.map((o) => ({ name: steps(o.name), dtype: o.dtype, shape: o.shape, perStep: true })),
  ];
  b.node(onnx.Loop, [count, always, ...carried.map(([i]) => start(i.name))], loopOutputs, {
    body: loopBody(step, carried, first),
  });
  for (const [, output] of carried) {
    b.output(end(output.name));
    outputs.push({ ...output, name: end(output.name) });
  }
  for (const output of perStep) {
    b.output(steps(output.name));
    outputs.push({ ...output, name: steps(output.name), perStep: true });
  }
  const params = carried.filter(([i]) => i.role.kind === 'param').map(([, o]) => end(o.name));
  const norm = b.within('monitor', () => globalNorm(b, params));
  b.op(onnx.Identity, [norm], {}, end('param_norm'));
  b.output(end('param_norm'));
  outputs.push({
    name: end('param_norm'),
    dtype: floatType,
    shape: [],
    role: { kind: 'updated_norm' },
  });
  return { graph: b.graph, inputs, outputs };
}

/** Each carried input of the step with the output that feeds it next step, in input order. */
function carriedPairs(step: BuiltGraph): [TensorEntry, TensorEntry][] {
  const outputs = new Map(step.outputs.map((o) => [carriedKey(o.role), o]));
  return step.inputs
    .filter((i) => carriedKey(i.role))
    .map((i) => {
      const output = outputs.get(carriedKey(i.role));
      if (!output) throw new Error(`train step input '${i.name}' has no next-step output`);
      return [i, output];
    });
}

/**
 * The step graph as a Loop body: inputs (k, cond, carried state…), outputs (cond, carried
 * state…, per-step outputs…). Step k's batch, labels and learning rate are row k of the outer
 * stacked inputs, and its number is first_step + k.
 */
function loopBody(step: BuiltGraph, carried: [TensorEntry, TensorEntry][], first: string): Graph {
  const { graph } = step;
  const info = (name: string) => graph.values.get(name)!;
  const k: ValueInfo = { name: 'steps:k', dtype: 'int64', shape: [] };
  const condIn: ValueInfo = { name: 'steps:cond', dtype: 'bool', shape: [] };
  const condOut: ValueInfo = { name: 'steps:cond_out', dtype: 'bool', shape: [] };
  const origin = 'steps';
  const feeds = step.inputs
    .filter((i) => PER_STEP.includes(i.role.kind))
    .map((i) => ({ op: 'Gather', inputs: [steps(i.name), k.name], outputs: [i.name], origin }));
  const stepName = step.inputs.find((i) => i.role.kind === 'step')!.name;
  const values = new Map(graph.values);
  for (const v of [k, condIn, condOut]) values.set(v.name, v);
  return {
    name: `${graph.name}.body`,
    inputs: [k, condIn, ...carried.map(([i]) => info(i.name))],
    outputs: [
      condOut,
      ...carried.map(([, o]) => info(o.name)),
      ...step.outputs.filter((o) => !carriedKey(o.role)).map((o) => info(o.name)),
    ],
    nodes: [
      ...feeds.map((n) => ({ ...n, attrs: { axis: 0 } })),
      { op: 'Add', inputs: [first, k.name], outputs: [stepName], attrs: {}, origin },
      { op: 'Identity', inputs: [condIn.name], outputs: [condOut.name], attrs: {}, origin },
      ...graph.nodes,
    ],
    initializers: graph.initializers,
    values,
  };
}
