// Initial parameter values, seeded and reproducible. Each parameter draws from its own stream
// keyed by its name, so adding a layer does not change the weights of the others.
import type { Model } from './check/model.js';
import type { InitSpec } from './layers/layer.js';
import { Rng } from './random.js';

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
    const frozen = layer.kind === 'layer' && layer.frozen === true;
    for (const p of layer.params) {
      const role = frozen ? 'frozen' : (p.kind ?? 'param');
      if (role === kind) shapes.set(`${layer.path}.${p.name}`, p.shape);
    }
  }
  return shapes;
}

export function initialParameters(model: Model, seed: number): Map<string, Float32Array> {
  const values = new Map<string, Float32Array>();
  for (const layer of model.layers) {
    for (const param of layer.params) {
      const name = `${layer.path}.${param.name}`;
      const size = param.shape.reduce((n, d) => n * d, 1);
      // Imported models bring pretrained values; layers added by surgery are initialized.
      const pretrained = model.initial?.get(name);
      values.set(name, pretrained ?? draw(param.init, size, new Rng(seed, `init:${name}`)));
    }
  }
  return values;
}

function draw(init: InitSpec, size: number, rng: Rng): Float32Array {
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
  }
  return out;
}
