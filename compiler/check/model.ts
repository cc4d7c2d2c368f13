// The checked, resolved form of a spec: what the compiler lowers and the runtime runs.
// Everything here has passed the checker: names resolve, arguments are bound, shapes are known.
import type { Span } from '../../grammar/index.js';
import type { BoundArgs } from './args.js';
import type { Shape } from '../ir/graph.js';
import type { LayerDef, ParamSpec } from '../layers/layer.js';
import type { LossDef } from '../losses.js';
import type { OptimizerDef } from '../optim/optimizer.js';

/** One use of a layer in a network. Its output value is named by its `path`. */
export interface LayerInstance {
  kind: 'layer';
  /** PyTorch-style module path, e.g. `linear1`; parameters are `linear1.weight`. */
  path: string;
  def: LayerDef;
  args: BoundArgs;
  /** The one input value's name. */
  inputs: [string];
  inputShape: Shape;
  outputShape: Shape;
  /** Trainable parameters and buffers (running statistics), in PyTorch's state_dict order. */
  params: ParamSpec[];
  span: Span;
}

/** Values combined by arithmetic in a network: `y + skip` (residual add) or `concat(a, b)`. */
export interface MergeInstance {
  kind: 'merge';
  op: 'add' | 'concat';
  /** A name for the result, unique in the model, e.g. `add1`. */
  path: string;
  inputs: string[];
  /** Concatenation axis (batch included); 0 for add. */
  axis: number;
  outputShape: Shape;
  params: [];
  span: Span;
}

export type ModelNode = LayerInstance | MergeInstance;

export interface Model {
  name: string;
  input: { name: string; shape: Shape };
  /** Every layer and merge, in evaluation order. */
  layers: ModelNode[];
  output: string;
  outputShape: Shape;
}

export interface DataFile {
  path: string;
  /** Where the spec names it, so data errors can point there. */
  file: string;
  span: Span;
}

export interface IdxSource {
  kind: 'idx';
  images: DataFile;
  labels: DataFile;
}

export interface DatasetSpec {
  name: string;
  train: IdxSource;
  test?: IdxSource;
  classes?: string[];
}

export interface Recipe {
  name: string;
  file: string;
  span: Span;
  model: Model;
  dataset: DatasetSpec;
  batch: number;
  shuffle: boolean;
  loss: { def: LossDef; args: BoundArgs };
  optimizer: { def: OptimizerDef; args: BoundArgs };
  epochs: number;
  seed: number;
}

export interface CheckedSpec {
  datasets: Map<string, DatasetSpec>;
  recipes: Map<string, Recipe>;
  /** Networks whose parameters all have defaults, instantiated with those defaults (for editors). */
  networks: Map<string, Model>;
}
