// The checked, resolved form of a spec: what the compiler lowers and the runtime runs — the
// contract between the checker (check/), the lowering (lower/) and the runtime. Everything here
// has passed the checker: names resolve, arguments are bound, shapes are known.
import type { Span } from '../../grammar/index.js';
import type { Shape } from '../ir/graph.js';
import type { BoundArgs } from './args.js';
import type { LayerDef, LossDef, OptimizerDef, ParamSpec, ScheduleDef } from './defs.js';
import type { SpecValue } from './values.js';

/**
 * One use of a layer in a network. Its output value is named by its `path`. Layers that
 * combine values (`y + skip`, `concat(a, b)`) are uses of the Add and Concat layers with
 * several inputs.
 */
export interface LayerInstance {
  /** PyTorch-style module path, e.g. `linear1`; parameters are `linear1.weight`. */
  path: string;
  def: LayerDef;
  args: BoundArgs;
  /** The input values' names: one, or several for Add and Concat. */
  inputs: string[];
  inputShapes: Shape[];
  outputShape: Shape;
  /** Trainable parameters and buffers (running statistics), in PyTorch's state_dict order. */
  params: ParamSpec[];
  span: Span;
  /** The file `span` is in, where it is not the recipe's (a network imported from another spec). */
  file?: string;
  /** Frozen by surgery: its parameters are constants of the train step. */
  frozen?: boolean;
  /**
   * Frozen, and (by default, as PyTorch's requires_grad=False in train()) a batch norm that still
   * normalizes with batch statistics in the train step and updates its running statistics;
   * false with `batch_stats: false`: running statistics, left unchanged (eval mode).
   */
  batchStats?: boolean;
}

/** A node of a network: every node is a use of a registry layer. */
export type ModelNode = LayerInstance;

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

/** One run of a sweep: the recipe with the sweep's values for this trial. */
export interface SweepTrial {
  /** 0-based, in the sweep's order (a Slurm array task or Kubernetes completion index). */
  index: number;
  /** `trial-3` (zero-padded to the widest index): the trial's run folder. */
  name: string;
  /** Each swept key and this trial's value, as the spec writes it: `optimizer.lr` → `0.01`. */
  settings: { key: string; value: string }[];
  recipe: Recipe;
}

/** `sweep Name over Recipe { … }`, expanded: every combination of its values, in order. */
export interface SweepSpec {
  name: string;
  file: string;
  span: Span;
  /** The train block it changes. */
  recipe: string;
  keys: string[];
  trials: SweepTrial[];
}

export interface CheckedSpec {
  datasets: Map<string, DatasetSpec>;
  transforms: Map<string, TransformSpec>;
  recipes: Map<string, Recipe>;
  /** Networks whose parameters all have defaults, instantiated with those defaults (for editors). */
  networks: Map<string, Model>;
  sweeps: Map<string, SweepSpec>;
}

// ---- what a recipe steers: schedule, stop conditions, regularization, stages -----------------

/** A weight initialization scheme chosen by `init =` (initializers.ts). */
export interface InitChoice {
  name: string;
  args: BoundArgs;
}

/** `stop when …`: comparisons of run quantities (stopping.ts), joined by `or` and `and`. */
export type StopCondition =
  | { kind: 'compare'; quantity: string; op: '<' | '<=' | '>' | '>='; value: number; text: string }
  | { kind: 'or' | 'and'; left: StopCondition; right: StopCondition };

export interface EarlyStop {
  monitor: string;
  patience: number;
  minDelta: number;
  mode: 'min' | 'max';
  restoreBest: boolean;
}

/** `stop when …` and how often its period-grain quantities are checked (default every epoch). */
export interface StopRule {
  condition: StopCondition;
  every: number;
  unit: 'epoch' | 'step';
}

export interface RunControl {
  schedule?: { def: ScheduleDef; args: BoundArgs; warmup: number };
  stop?: StopRule;
  earlyStop?: EarlyStop;
  checkpoint?: { dir: string; every: number; unit: 'epoch' | 'step' };
}

/**
 * `weight_decay = λ`: the loss gets `+ λ·Σ‖θ‖²` over the decayed parameters, so the gradient
 * gets `+ 2λθ` (the seed's λ‖θ‖² convention, NOT torch's `weight_decay` argument, which adds λθ;
 * an optimizer's own `weight_decay` keeps torch's meaning). `exclude` drops parameters whose
 * path contains one of the words (`"bias"`, `"norm"`: batch/layer/group norm layers).
 */
export interface Regularization {
  weightDecay?: { lambda: number; exclude: string[] };
  /** torch.nn.utils.clip_grad_norm_ (max_norm, norm 2) or clip_grad_value_. */
  clip?: { kind: 'grad_norm'; max: number } | { kind: 'grad_value'; value: number };
  /** Sharpness-aware minimization: the update uses the gradient at θ + ρ·g/‖g‖. */
  sam?: { rho: number };
  /** Monitors named by the spec; grad_norm and param_norm are output whether named or not. */
  monitor: string[];
  /**
   * Parameter groups, as torch.optim's param_groups: the first group whose glob pattern (`*`
   * any characters, `?` one) matches a parameter's path gives it its own optimizer arguments.
   */
  groups: ParamGroup[];
}

export interface ParamGroup {
  pattern: string;
  /** Optimizer arguments written in the group (lr included), overriding the optimizer's. */
  overrides: Map<string, SpecValue>;
}

/** `unfreeze … after N epochs`: the modules that become trainable once `after` epochs are done. */
export interface UnfreezeStage {
  after: number;
  paths: string[];
}
