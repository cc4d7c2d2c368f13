// The syntax tree of a .net file. Every node carries a `kind` (its discriminant) and the
// `span` of source text it came from, so any later stage can point at the exact place.
import type { Span } from './diagnostics.js';

interface NodeBase {
  span: Span;
}

export interface Identifier extends NodeBase {
  kind: 'Identifier';
  name: string;
  /** PyTorch's module prefix written before a callee (`nn.` of `nn.Conv2d`); see grammar/habits.ts. */
  torchPrefix?: Span;
}

// ---- expressions -------------------------------------------------------------------------

export interface NumberLiteral extends NodeBase {
  kind: 'Number';
  /** The value, with a `%` suffix already applied (`10%` → 0.1). */
  value: number;
  /** The literal as written, for messages and the formatter. */
  text: string;
  isInteger: boolean;
}

export interface StringLiteral extends NodeBase {
  kind: 'String';
  value: string;
}

export interface BooleanLiteral extends NodeBase {
  kind: 'Boolean';
  value: boolean;
  /** Written as Python does, `True` or `False`; see grammar/habits.ts. */
  python?: true;
}

/** `auto`: a size the checker infers. */
export interface AutoLiteral extends NodeBase {
  kind: 'Auto';
}

/** A reference to a name: a layer (`ReLU`), a dataset, a value in a network, a parameter. */
export interface NameRef extends NodeBase {
  kind: 'Name';
  name: string;
  /** `ReLU as relu`: the module name a chain stage gives its layer (may be dotted). */
  alias?: Identifier;
  /** PyTorch's module prefix written before the name (`nn.` of `nn.ReLU`); see grammar/habits.ts. */
  torchPrefix?: Span;
}

export interface ListExpr extends NodeBase {
  kind: 'List';
  items: Expr[];
  /** Written as a Python tuple, `(7, 7)`; see grammar/habits.ts. */
  tuple?: true;
}

/** `name: value` or a positional `value` in a call. */
export interface Argument extends NodeBase {
  kind: 'Argument';
  name: Identifier | null;
  value: Expr;
  /** Named with `=` as in Python (`lr=0.05`): the text between name and value; see grammar/habits.ts. */
  equals?: Span;
}

/** `Linear(784, 256)`, `idx("a", "b")`, `SGD(lr: 0.1)`. */
export interface CallExpr extends NodeBase {
  kind: 'Call';
  callee: Identifier;
  args: Argument[];
  /** `Conv2d(1, 64, 7) as conv1`: the module name a chain stage gives its layer (may be dotted). */
  alias?: Identifier;
}

/** `a -> B -> C(1)`: each stage is applied to the result of the one before. */
export interface ChainExpr extends NodeBase {
  kind: 'Chain';
  stages: Expr[];
}

export type BinaryOperator =
  '+' | '-' | '*' | '/' | '==' | '!=' | '<' | '<=' | '>' | '>=' | 'and' | 'or';

export interface BinaryExpr extends NodeBase {
  kind: 'Binary';
  op: BinaryOperator;
  left: Expr;
  right: Expr;
}

export interface UnaryExpr extends NodeBase {
  kind: 'Unary';
  op: '-' | 'not';
  operand: Expr;
}

/**
 * `if cond { statements } else { statements }` as a value (in a block or network body): the
 * value of the taken branch is its last statement's value (or its `output`). `else if` chains
 * nest another IfExpr as the sole statement of `otherwise`.
 */
export interface IfExpr extends NodeBase {
  kind: 'If';
  condition: Expr;
  then: NetworkStatement[];
  otherwise: NetworkStatement[];
}

export type Expr =
  | NumberLiteral
  | StringLiteral
  | BooleanLiteral
  | AutoLiteral
  | NameRef
  | ListExpr
  | CallExpr
  | ChainExpr
  | BinaryExpr
  | UnaryExpr
  | IfExpr;

// ---- statements ----------------------------------------------------------------------------

/**
 * `name = value` with optional trailing named options:
 * `data = Fashion, batch: 64, shuffle: true`.
 */
export interface Assignment extends NodeBase {
  kind: 'Assignment';
  target: Identifier;
  value: Expr;
  options: Argument[];
}

/** `input x: [1, 28, 28]` inside a network. */
export interface InputStatement extends NodeBase {
  kind: 'Input';
  name: Identifier;
  shape: ListExpr | null;
}

/** A bare chain in a network body: `x -> Flatten -> Linear(784, 10)`. */
export interface ExpressionStatement extends NodeBase {
  kind: 'ExpressionStatement';
  expr: Expr;
}

/** `output y` in a network body. */
export interface OutputStatement extends NodeBase {
  kind: 'Output';
  value: Expr;
}

export type NetworkStatement = InputStatement | Assignment | ExpressionStatement | OutputStatement;

// ---- declarations --------------------------------------------------------------------------

/** A declared parameter of a network: `classes = 10`. */
export interface Parameter extends NodeBase {
  kind: 'Parameter';
  name: Identifier;
  default: Expr | null;
}

export interface DatasetDecl extends NodeBase {
  kind: 'Dataset';
  name: Identifier;
  body: Assignment[];
}

export interface NetworkDecl extends NodeBase {
  kind: 'Network';
  name: Identifier;
  params: Parameter[];
  body: NetworkStatement[];
}

export interface TrainDecl extends NodeBase {
  kind: 'Train';
  name: Identifier;
  body: TrainStatement[];
}

/** `block BasicBlock(in, out, stride = 1) { input x  ...  output y }`: a reusable sub-network. */
export interface BlockDecl extends NodeBase {
  kind: 'Block';
  name: Identifier;
  params: Parameter[];
  body: NetworkStatement[];
}

/** `transform Augment { RandomCrop(28, padding: 4)  Normalize(mean: auto, std: auto) }`. */
export interface TransformDecl extends NodeBase {
  kind: 'Transform';
  name: Identifier;
  /** Each step is a CallExpr or a bare NameRef (`ToTensor`). */
  steps: Expr[];
  /**
   * The steps were written as torchvision's `transforms.Compose([…])`: the text before the
   * first step and after the last one; see grammar/habits.ts.
   */
  compose?: { open: Span; close: Span };
}

/** A module path pattern in surgery: `conv1`, `layer4.*`, `*`, or a layer kind `BatchNorm2d`. */
export interface PathPattern extends NodeBase {
  kind: 'PathPattern';
  /** As written, e.g. `layer4.*` or `layer1.0.conv1`. */
  text: string;
}

/** `freeze p, q` / `unfreeze p`, options after the patterns: `freeze *, batch_stats: true`. */
export interface FreezeStatement extends NodeBase {
  kind: 'Freeze' | 'Unfreeze';
  patterns: PathPattern[];
  options: Argument[];
}

/** `replace conv1 with Conv2d(1, 64, 7, stride: 2, padding: 3, bias: false)`, options after a comma. */
export interface ReplaceStatement extends NodeBase {
  kind: 'Replace';
  target: PathPattern;
  replacement: Expr;
  options: Argument[];
}

/** `remove fc`. */
export interface RemoveStatement extends NodeBase {
  kind: 'Remove';
  target: PathPattern;
}

/** `insert Dropout(0.5) after avgpool` (adds a layer, e.g. a head, after a module). */
export interface InsertStatement extends NodeBase {
  kind: 'Insert';
  layer: Expr;
  after: PathPattern;
}

export type SurgeryStatement =
  FreezeStatement | ReplaceStatement | RemoveStatement | InsertStatement;

/** `network Finetuned = onnx("resnet18.onnx") { freeze *  replace fc with Linear(512, 10) }`. */
export interface OnnxNetworkDecl extends NodeBase {
  kind: 'OnnxNetwork';
  name: Identifier;
  /** The `onnx("file.onnx", ...)` call. */
  source: CallExpr;
  body: SurgeryStatement[];
}

/** `stop when steps > 20000 or improvement < 1e-5 [every 100 steps]` in a train block. */
export interface StopStatement extends NodeBase {
  kind: 'Stop';
  condition: Expr;
  /** How often the condition is checked (`every` part optional, as in a checkpoint). */
  every: NumberLiteral | null;
  /** `epoch`/`epochs`/`step`/`steps` as written; null when `every` is absent. */
  unit: Identifier | null;
}

/** `checkpoint "runs/baseline" every 1 epoch` in a train block (`every` part optional). */
export interface CheckpointStatement extends NodeBase {
  kind: 'Checkpoint';
  path: StringLiteral;
  every: NumberLiteral | null;
  /** `epoch`/`epochs`/`step`/`steps` as written; null when `every` is absent. */
  unit: Identifier | null;
}

/** A bare call in a train block, e.g. `early_stop(monitor: val_loss, patience: 3)`. */
export interface CallStatement extends NodeBase {
  kind: 'CallStatement';
  call: CallExpr;
}

/** `unfreeze layer4.*, layer3.* after 2 epochs` in a train block: a later training stage. */
export interface UnfreezeAfterStatement extends NodeBase {
  kind: 'UnfreezeAfter';
  patterns: PathPattern[];
  after: NumberLiteral;
  /** `epoch` or `epochs` as written. */
  unit: Identifier;
}

export type TrainStatement =
  Assignment | StopStatement | CheckpointStatement | CallStatement | UnfreezeAfterStatement;

/**
 * `optimizer.lr = [1e-3, 3e-4]` in a sweep: a setting of the train block (`seed`), an argument of
 * one (`optimizer.lr`, `model.hidden`) or an option (`data.batch`), and its values.
 */
export interface SweepEntry extends NodeBase {
  kind: 'SweepEntry';
  /** As written, dotted or not: `seed`, `optimizer.lr`. */
  key: Identifier;
  value: Expr;
}

/** `sweep Rates over Baseline { optimizer.lr = [0.01, 0.03]  seed = [1, 2] }`: many runs of a recipe. */
export interface SweepDecl extends NodeBase {
  kind: 'Sweep';
  name: Identifier;
  /** The train block the sweep changes. */
  over: Identifier;
  body: SweepEntry[];
}

export type Declaration =
  DatasetDecl | NetworkDecl | TrainDecl | BlockDecl | TransformDecl | OnnxNetworkDecl | SweepDecl;

export interface ImportDecl extends NodeBase {
  kind: 'Import';
  path: StringLiteral;
}

export interface SpecFile extends NodeBase {
  kind: 'File';
  file: string;
  imports: ImportDecl[];
  declarations: Declaration[];
}
