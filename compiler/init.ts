// Initial parameter values, seeded and reproducible. Each parameter draws from its own stream
// keyed by its name, so adding a layer does not change the weights of the others.
import { Rng } from './random.js';
import { chosenInit } from './initializers.js';
import type { Model, InitChoice } from './vocabulary/model.js';
import type { InitSpec } from './vocabulary/defs.js';

type DrawSpec = InitSpec | { kind: 'range'; low: number; high: number };

export function parameterNames(model: Model): string[] {
  return [...parameterShapes(model).keys()];
}

/** Every parameter's and buffer's full name (`linear1.weight`) and shape, in state_dict order. */
export function parameterShapes(model: Model): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  for (const layer of model.layers) {
    for (const p of layer.params) shapes.set(`${layer.path}.${p.name}`, p.shape);
  }
  return shapes;
}

/** Trainable parameters only (the optimizer's inputs), in model order. */
export function trainableShapes(model: Model): Map<string, number[]> {
  return stateShapes(model, 'param');
}

/**
 * Buffers only: state the forward pass updates in train mode (batch norm's running statistics),
 * carried between steps and saved with the weights, never trained.
 */
export function bufferShapes(model: Model): Map<string, number[]> {
  return stateShapes(model, 'buffer');
}

/** Parameters and buffers of frozen layers: constants of the step graphs. */
export function frozenShapes(model: Model): Map<string, number[]> {
  return stateShapes(model, 'frozen');
}

function stateShapes(model: Model, kind: 'param' | 'buffer' | 'frozen'): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  for (const layer of model.layers) {
    const frozen = layer.frozen === true;
    // A frozen batch norm that keeps batch statistics still carries its running statistics.
    const carried = layer.batchStats === true;
    for (const p of layer.params) {
      const kept = frozen && !(carried && p.kind === 'buffer');
      const role = kept ? 'frozen' : (p.kind ?? 'param');
      if (role === kind) shapes.set(`${layer.path}.${p.name}`, p.shape);
    }
  }
  return shapes;
}

/**
 * Every parameter's and buffer's initial values. `init` (the train block's `init =`) replaces
 * the default of Conv/Linear weights and zeroes their biases; the stream names do not change,
 * so the same seed gives the same draws under every scheme of the same kind.
 */
export function initialParameters(
  model: Model,
  seed: number,
  init?: InitChoice,
): Map<string, Float32Array> {
  const values = new Map<string, Float32Array>();
  for (const layer of model.layers) {
    for (const param of layer.params) {
      const name = `${layer.path}.${param.name}`;
      const size = param.shape.reduce((n, d) => n * d, 1);
      // Imported models bring pretrained values; layers added by surgery are initialized.
      const pretrained = model.initial?.get(name);
      const chosen = init && chosenInit(init, layer.def.name, param.name, param.shape);
      const spec = chosen || param.init;
      values.set(name, pretrained ?? draw(spec, size, new Rng(seed, `init:${name}`)));
    }
  }
  return values;
}

/**
 * The Conv/Linear layers LSUV rescales, in evaluation order (the runtime's loop visits these).
 * Frozen layers and layers with pretrained weights (imported models) keep their values: LSUV
 * is an initialization, and only freshly drawn weights are rescaled.
 */
export function lsuvLayers(model: Model): string[] {
  return model.layers
    .filter(
      (l) =>
        l.frozen !== true &&
        !model.initial?.has(`${l.path}.weight`) &&
        chosenInit({ name: 'lsuv', args: NO_ARGS }, l.def.name, 'weight', [1, 1]),
    )
    .map((l) => l.path);
}

const NO_ARGS = { values: new Map(), spans: new Map() };

function draw(init: DrawSpec, size: number, rng: Rng): Float32Array {
  const out = new Float32Array(size);
  switch (init.kind) {
    case 'uniform':
      for (let i = 0; i < size; i++) out[i] = rng.uniform(-init.bound, init.bound);
      break;
    case 'normal':
      for (let i = 0; i < size; i++) out[i] = rng.normal() * init.std;
      break;
    case 'constant':
      out.fill(init.value);
      break;
    case 'range':
      for (let i = 0; i < size; i++) out[i] = rng.uniform(init.low, init.high);
      break;
  }
  return out;
}
