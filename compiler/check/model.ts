// The checked, resolved form of a spec: what the compiler lowers and the runtime runs.
// Everything here has passed the checker: names resolve, arguments are bound, shapes are known.
import type { Span } from '../../grammar/index.js';
import type { BoundArgs } from './args.js';
import type { RunControl } from './run-control.js';
import type { Regularization } from './regularization.js';
import type { InitChoice } from '../initializers.js';
import type { UnfreezeStage } from './stages.js';
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
  /** Frozen by surgery: its parameters are constants of the train step. */
  frozen?: boolean;
  /**
   * Frozen, and (by default, as PyTorch's requires_grad=False in train()) a batch norm that still
   * normalizes with batch statistics in the train step and updates its running statistics;
   * false with `batch_stats: false`: running statistics, left unchanged (eval mode).
   */
  batchStats?: boolean;
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
  /** Pretrained values by full parameter name (imported models); others are initialized. */
  initial?: Map<string, Float32Array>;
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

/** The seed's spreadsheets: one image per row of pixel columns; labels in a file or a column. */
export interface CsvSource {
  kind: 'csv';
  images: DataFile;
  /** A one-column labels file; absent when the labels are a column of `images`. */
  labels?: DataFile;
  /** The labels' column in `images`: an index, or a header name (with `header: true`). */
  labelColumn?: number | string;
  /** [channels, height, width]. */
  shape: number[];
  /** Whole numbers 0–255 (uint8, also when absent), or decimal numbers (`dtype: float32`). */
  dtype?: 'uint8' | 'float32';
  /** Pixels are multiplied by this to become tensor values (1/255: ToTensor). */
  scale: number;
  header: boolean;
  /** ',', ';', '\t', or 'auto' (detected from the first line). */
  delimiter: string;
}

/** A folder of PNG/JPEG files, labelled by a spreadsheet or by class-per-subfolder. */
export interface ImagesSource {
  kind: 'images';
  dir: DataFile;
  /** `filename,label` rows; absent: one subfolder per class (torchvision's ImageFolder). */
  labels?: DataFile;
  shape: number[];
}

/** `take: 5000` / `take: 10%`: a seeded random subset of a source or split. */
export interface Take {
  /** A fraction in (0, 1) or, when at least 1, a count of examples. */
  size: number;
  seed: number;
  /** Each class gives the same share (as split's `stratify`). */
  stratify: boolean;
  /** Where `take:` is written, so a count the data cannot give points there. */
  at: DataFile;
}

/**
 * `stream`: read examples from disk on demand instead of loading the source into memory;
 * `auto` (the default, also when absent) streams when the source would not fit a memory budget.
 * `take`: only a subset of the source's examples is used.
 */
export type DataSource = (IdxSource | CsvSource | ImagesSource) & {
  stream?: boolean | 'auto';
  take?: Take;
};

/** `split(train, 10%, seed: 7, stratify: true)`: examples taken out of the training split. */
export interface SplitSource {
  kind: 'split';
  /** A fraction in (0, 1) or, when at least 1, a count of examples. */
  size: number;
  seed: number;
  stratify: boolean;
  at: DataFile;
  /** Only a subset of the split-off examples is used. */
  take?: Take;
}

export interface DatasetSpec {
  name: string;
  train: DataSource;
  test?: DataSource;
  validation?: DataSource | SplitSource;
  classes?: string[];
}

/** One checked step of a `transform` block, with torchvision's arguments as plain values. */
export interface TransformStep {
  name: string;
  /** Bound arguments by name; lists stay lists, `auto` is the string 'auto'. */
  args: Record<string, number | boolean | string | number[] | null>;
  /** Applied to the training split only (random augmentation). */
  trainOnly: boolean;
  span: Span;
}

export interface TransformSpec {
  name: string;
  steps: TransformStep[];
}

export interface Recipe {
  name: string;
  file: string;
  span: Span;
  model: Model;
  dataset: DatasetSpec;
  batch: number;
  shuffle: boolean;
  /** Drop the last, smaller batch of an epoch (PyTorch's drop_last). */
  dropLast: boolean;
  transform?: TransformSpec;
  loss: { def: LossDef; args: BoundArgs };
  optimizer: { def: OptimizerDef; args: BoundArgs };
  epochs: number;
  seed: number;
  /** Schedule, stop conditions, early stopping and checkpoints. */
  control: RunControl;
  /** Weight decay, clipping, SAM and monitoring compiled into the train step (check/regularization.ts). */
  regularization?: Regularization;
  /** Weight initialization scheme for Conv/Linear weights; undefined: PyTorch's per-layer defaults. */
  init?: InitChoice;
  /** `unfreeze … after N epochs`: frozen modules that train from a later epoch on, by epoch. */
  stages?: UnfreezeStage[];
}

export interface CheckedSpec {
  datasets: Map<string, DatasetSpec>;
  transforms: Map<string, TransformSpec>;
  recipes: Map<string, Recipe>;
  /** Networks whose parameters all have defaults, instantiated with those defaults (for editors). */
  networks: Map<string, Model>;
}
