// The syntax tree of a .net file. Every node carries a `kind` (its discriminant) and the
// `span` of source text it came from, so any later stage can point at the exact place.
import type { Span } from './diagnostics.js';

interface NodeBase {
  span: Span;
}

export interface Identifier extends NodeBase {
  kind: 'Identifier';
  name: string;
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
}

/** `auto`: a size the checker infers. */
export interface AutoLiteral extends NodeBase {
  kind: 'Auto';
}

/** A reference to a name: a layer (`ReLU`), a dataset, a value in a network, a parameter. */
export interface NameRef extends NodeBase {
  kind: 'Name';
  name: string;
}

export interface ListExpr extends NodeBase {
  kind: 'List';
  items: Expr[];
}

/** `name: value` or a positional `value` in a call. */
export interface Argument extends NodeBase {
  kind: 'Argument';
  name: Identifier | null;
  value: Expr;
}

/** `Linear(784, 256)`, `idx("a", "b")`, `SGD(lr: 0.1)`. */
export interface CallExpr extends NodeBase {
  kind: 'Call';
  callee: Identifier;
  args: Argument[];
}

/** `a -> B -> C(1)`: each stage is applied to the result of the one before. */
export interface ChainExpr extends NodeBase {
  kind: 'Chain';
  stages: Expr[];
}

export type BinaryOperator = '+' | '-' | '*' | '/';

export interface BinaryExpr extends NodeBase {
  kind: 'Binary';
  op: BinaryOperator;
  left: Expr;
  right: Expr;
}

export interface UnaryExpr extends NodeBase {
  kind: 'Unary';
  op: '-';
  operand: Expr;
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
  | UnaryExpr;

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
  body: Assignment[];
}

export type Declaration = DatasetDecl | NetworkDecl | TrainDecl;

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
