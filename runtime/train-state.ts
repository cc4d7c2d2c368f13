// The state a training run carries from step to step — parameters, buffers and optimizer state
// as onnxruntime tensors named by the train step's inputs — and its conversions to and from
// state_dict-named tensors (weights files, checkpoints).
import type { CompiledRecipe, Recipe, TensorEntry } from '../compiler/index.js';
import { initialParameters } from '../compiler/index.js';
import { ort } from './session.js';
import type { NamedTensor } from './weights.js';

export type Feeds = Record<string, ort.Tensor>;

const dims = (shape: readonly (number | 'N')[]) => shape.map((d) => (d === 'N' ? 1 : d));

function floatTensor(data: Float32Array, shape: readonly (number | 'N')[]): ort.Tensor {
  return new ort.Tensor('float32', data, dims(shape));
}

/** The state_dict name a carried train-step input stands for (`fc.weight`, `fc.weight.exp_avg`). */
export function stateName(
  input: TensorEntry,
): { kind: 'weight' | 'optimizer'; name: string } | undefined {
  const { role } = input;
  if (role.kind === 'param') return { kind: 'weight', name: role.param };
  if (role.kind === 'buffer') return { kind: 'weight', name: role.buffer };
  if (role.kind === 'state') return { kind: 'optimizer', name: `${role.param}.${role.slot}` };
  return undefined;
}

/** Freshly initialized parameters and buffers; optimizer state at zero. */
export function initialState(recipe: Recipe, compiled: CompiledRecipe): Feeds {
  const feeds: Feeds = {};
  const values = initialParameters(recipe.model, recipe.seed, recipe.init);
  for (const input of compiled.manifest.graphs.train.inputs) {
    const name = stateName(input);
    if (name?.kind === 'weight')
      feeds[input.name] = floatTensor(values.get(name.name)!, input.shape);
    if (name?.kind === 'optimizer' && input.role.kind === 'state') {
      feeds[input.name] = floatTensor(
        new Float32Array(values.get(input.role.param)!.length),
        input.shape,
      );
    }
  }
  return feeds;
}

/** What the eval step reads from the training state: parameters and buffers. */
export function weightFeeds(state: Feeds, compiled: CompiledRecipe): Feeds {
  const feeds: Feeds = {};
  for (const input of compiled.manifest.graphs.train.inputs) {
    if (stateName(input)?.kind === 'weight') feeds[input.name] = state[input.name];
  }
  return feeds;
}

/**
 * Tensors by state_dict name, of one kind. Weights include frozen layers, whose values are
 * constants of the step graphs and so the initial (pretrained) ones.
 */
export function namedTensors(
  state: Feeds,
  recipe: Recipe,
  compiled: CompiledRecipe,
  kind: 'weight' | 'optimizer',
): Map<string, NamedTensor> {
  const tensors = new Map<string, NamedTensor>();
  for (const input of compiled.manifest.graphs.train.inputs) {
    const name = stateName(input);
    if (name?.kind !== kind) continue;
    tensors.set(name.name, {
      shape: state[input.name].dims.slice(),
      data: state[input.name].data as Float32Array,
    });
  }
  if (kind === 'weight') {
    const missing = compiled.manifest.parameters.filter((p) => !tensors.has(p.name));
    const initial =
      missing.length > 0 ? initialParameters(recipe.model, recipe.seed, recipe.init) : undefined;
    for (const p of missing) tensors.set(p.name, { shape: p.shape, data: initial!.get(p.name)! });
  }
  return tensors;
}

/**
 * The state from saved tensors (a checkpoint or `--weights`). Every carried input must be
 * present with its shape; returns the list of mismatches instead when not.
 */
export function stateFrom(
  compiled: CompiledRecipe,
  weights: Map<string, NamedTensor>,
  optimizer: Map<string, NamedTensor> | undefined,
  base: Feeds,
): Feeds | string[] {
  const feeds: Feeds = { ...base };
  const problems: string[] = [];
  for (const input of compiled.manifest.graphs.train.inputs) {
    const name = stateName(input);
    if (!name || (name.kind === 'optimizer' && !optimizer)) continue;
    const source = name.kind === 'weight' ? weights : optimizer!;
    const saved = source.get(name.name);
    const expected = dims(input.shape);
    if (!saved) problems.push(`'${name.name}' is missing`);
    else if (saved.shape.join() !== expected.join()) {
      problems.push(
        `'${name.name}' has shape [${saved.shape.join(', ')}], the spec needs [${expected.join(', ')}]`,
      );
    } else feeds[input.name] = floatTensor(saved.data, input.shape);
  }
  const known = new Set(compiled.manifest.parameters.map((p) => p.name));
  for (const name of weights.keys())
    if (!known.has(name)) problems.push(`'${name}' is not in the spec's model`);
  return problems.length > 0 ? problems : feeds;
}

/** A deep copy (onnxruntime may reuse output buffers; the best weights must not change). */
export function copyState(state: Feeds): Feeds {
  const copy: Feeds = {};
  for (const [name, t] of Object.entries(state)) {
    copy[name] = new ort.Tensor('float32', (t.data as Float32Array).slice(), t.dims.slice());
  }
  return copy;
}
