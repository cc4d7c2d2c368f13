// Instantiates a network declaration with arguments: resolves every layer and block in every
// chain, binds arguments, infers shapes, evaluates conditionals on parameters, and names every
// layer by a PyTorch-style path. Mistakes become diagnostics; a value whose shape could not be
// inferred is poisoned (null) so that one mistake does not cascade into many.
import type {
  BlockDecl,
  CallExpr,
  Diagnostic,
  Expr,
  Identifier,
  NetworkDecl,
  NetworkStatement,
  RelatedNote,
  Span,
} from '../../grammar/index.js';
import { diagnostic, withFix } from '../../grammar/index.js';
import { CODES } from '../codes.js';
import type { Shape } from '../ir/graph.js';
import { formatShape } from '../ir/graph.js';
import { LAYERS } from '../layers/registry.js';
import { bindArgs } from './args.js';
import { elements, LIMITS, shown } from './limits.js';
import { didYouMean } from './names.js';
import { evaluate, EvalError } from './values.js';
import type { ArgSpec, BoundArgs } from '../vocabulary/args.js';
import type { LayerDef } from '../vocabulary/defs.js';
import type { Model, ModelNode } from '../vocabulary/model.js';
import type { Constants, SpecValue } from '../vocabulary/values.js';

interface NetValue {
  name: string;
  shape: Shape;
  span: Span;
}

/** A value, or null when it could not be computed (already reported). */
type Result = NetValue | null;

/** A declaration with the file it was written in. */
export interface Located<T> {
  decl: T;
  file: string;
}

/** Names a block instance's layers can't collide with: blocks deeper than this are a cycle. */
const MAX_BLOCK_DEPTH = 32;

/** Shared by a network and every block instance inside it. */
class ModelBuilder {
  readonly nodes: ModelNode[] = [];
  private counts = new Map<string, number>();
  private used = new Set<string>();
  /** Parameter and buffer elements so far. */
  parameters = 0;
  /** A limit was passed and reported: nothing more is added. */
  full = false;

  constructor(
    readonly diags: Diagnostic[],
    readonly blocks: ReadonlyMap<string, Located<BlockDecl>>,
  ) {}

  /** `<prefix><kind><k>`: linear1, linear2, basicblock1.conv2d1 … */
  nextPath(prefix: string, kind: string): string {
    const key = `${prefix}${kind.toLowerCase()}`;
    let path: string;
    do {
      const count = (this.counts.get(key) ?? 0) + 1;
      this.counts.set(key, count);
      path = `${key}${count}`;
    } while (this.used.has(path));
    this.used.add(path);
    return path;
  }

  /**
   * Adds a node unless it passes a limit (reported once, at `span`, after which the model stays
   * as it is): its output or a parameter too large, too many parameters or layers.
   */
  add(node: ModelNode, file: string, span: Span): boolean {
    if (this.full) return false;
    const problem = this.limitProblem(node);
    if (problem) {
      this.diags.push(diagnostic(CODES.limit, problem, file, span));
      this.full = true;
      return false;
    }
    this.nodes.push(node);
    return true;
  }

  private limitProblem(node: ModelNode): string | undefined {
    const tensor = LIMITS.tensorElements;
    const output = elements(node.outputShape);
    if (output > tensor)
      return `${node.path}'s output ${formatShape(node.outputShape)} has ${shown(output)} elements per example; a tensor may have up to ${shown(tensor)}`;
    for (const p of node.params) {
      const count = elements(p.shape);
      if (count > tensor)
        return `${node.path}.${p.name} [${p.shape.join(', ')}] has ${shown(count)} elements; a tensor may have up to ${shown(tensor)}`;
      this.parameters += count;
    }
    if (this.parameters > LIMITS.parameters)
      return `the model has ${shown(this.parameters)} parameters with ${node.path}; a model may have up to ${shown(LIMITS.parameters)}`;
    if (this.nodes.length >= LIMITS.layers)
      return `the model has more than ${shown(LIMITS.layers)} layers; a model may have up to ${shown(LIMITS.layers)} layers`;
    return undefined;
  }

  /** A name the spec gives with `as`; undefined when it is taken already. */
  claim(path: string): string | undefined {
    if (this.used.has(path)) return undefined;
    this.used.add(path);
    return path;
  }
}

/** Evaluates one body — a network, or one instance of a block — in its own scope. */
class BodyChecker {
  private values = new Map<string, Result>();
  input?: NetValue;
  /** An `input` statement was seen, even one whose shape was wrong (already reported). */
  hasInput = false;

  constructor(
    private model: ModelBuilder,
    private file: string,
    private prefix: string,
    private constants: Constants,
    private blockStack: string[],
    /** For a block instance: the value flowing into its `input` statement. */
    private given?: Result,
  ) {}

  /** The body's value: its `output`, else its last statement's value; undefined if none. */
  body(statements: NetworkStatement[]): Result | undefined {
    let last: Result | undefined;
    let output: Result | undefined;
    for (const statement of statements) {
      const value = this.statement(statement);
      if (statement.kind === 'Output') output = value;
      else if (statement.kind !== 'Input') last = value;
    }
    return output === undefined ? last : output;
  }

  private statement(statement: NetworkStatement): Result | undefined {
    switch (statement.kind) {
      case 'Input':
        return this.declareInput(statement.name.name, statement.name.span, statement.shape);
      case 'Assignment': {
        const value = this.expression(statement.value);
        this.values.set(statement.target.name, value);
        return value;
      }
      case 'ExpressionStatement':
        return this.expression(statement.expr);
      case 'Output':
        return this.expression(statement.value);
    }
  }

  private declareInput(name: string, span: Span, shapeExpr: Expr | null): Result {
    this.hasInput = true;
    if (this.input || (this.given !== undefined && this.values.has(name))) {
      this.error(CODES.networkInput, 'a network or block has one input', span);
      return null;
    }
    if (this.given !== undefined) return this.bindGivenInput(name, span, shapeExpr);
    if (!shapeExpr) {
      this.error(
        CODES.networkInput,
        `input '${name}' needs a shape, e.g. 'input ${name}: [1, 28, 28]'`,
        span,
      );
      return null;
    }
    const dims = this.evaluateShape(shapeExpr);
    // A wrong shape is reported once: the input's later uses are poisoned, not unknown.
    if (!dims) {
      this.values.set(name, null);
      return null;
    }
    this.input = { name, shape: ['N', ...dims], span };
    this.values.set(name, this.input);
    return this.input;
  }

  /** A block's input takes the value it is applied to; a declared shape must match it. */
  private bindGivenInput(name: string, span: Span, shapeExpr: Expr | null): Result {
    const given = this.given ?? null;
    if (given && shapeExpr) {
      const dims = this.evaluateShape(shapeExpr);
      if (dims && formatShape(['N', ...dims]) !== formatShape(given.shape)) {
        const message = `block input '${name}' is declared [${dims.join(', ')}] but receives ${formatShape(given.shape)}`;
        this.error(CODES.shapeMismatch, message, shapeExpr.span);
      }
    }
    this.values.set(name, given);
    return given;
  }

  private evaluateShape(expr: Expr): number[] | undefined {
    try {
      const value = evaluate(expr, this.constants);
      if (value.t === 'list' && value.items.every((i) => i.t === 'num' && i.int && i.v > 0)) {
        const dims = value.items.map((i) => (i.t === 'num' ? i.v : 0));
        if (elements(dims) <= LIMITS.tensorElements) return dims;
        const message = `an input of ${shown(elements(dims))} elements; a tensor may have up to ${shown(LIMITS.tensorElements)}`;
        this.error(CODES.limit, message, expr.span);
        return undefined;
      }
    } catch (e) {
      if (!(e instanceof EvalError)) throw e;
    }
    this.error(
      CODES.networkInput,
      'a shape is a list of positive integers, e.g. [1, 28, 28]',
      expr.span,
    );
    return undefined;
  }

  // ---- values ------------------------------------------------------------------------------

  private expression(expr: Expr): Result {
    switch (expr.kind) {
      case 'Chain': {
        let value = this.expression(expr.stages[0]);
        for (const stage of expr.stages.slice(1)) value = this.applyStage(stage, value);
        return value;
      }
      case 'Name':
        return this.lookup(expr.name, expr.span);
      case 'Binary':
        if (expr.op === '+')
          return this.combine(LAYERS.get('Add')!, [expr.left, expr.right], [], expr.span);
        break;
      case 'Call':
        return this.callValue(expr);
      case 'If':
        return this.conditional(expr);
      default:
        break;
    }
    this.error(
      CODES.networkStructure,
      'expected a value of the network here (an input, a named result, a chain)',
      expr.span,
    );
    return null;
  }

  private lookup(name: string, span: Span): Result {
    const value = this.values.get(name);
    if (value !== undefined) return value;
    const hint =
      LAYERS.has(name) || this.model.blocks.has(name)
        ? `; a layer is applied with '->', e.g. 'x -> ${name}'`
        : didYouMean(name, this.values.keys());
    this.error(CODES.unknownName, `unknown value '${name}'${hint}`, span);
    return null;
  }

  /** `concat(a, b, dim: 1)`, or a layer/block applied to a value: `ReLU(y + skip)`. */
  private callValue(call: CallExpr): Result {
    const name = call.callee.name;
    if (name === 'concat') return this.concat(call);
    const [first, ...rest] = call.args;
    if ((LAYERS.has(name) || this.model.blocks.has(name)) && first && !first.name) {
      const input = this.expression(first.value);
      return this.apply(name, call.callee.span, rest, call.span, input);
    }
    const known = [...LAYERS.keys(), ...this.model.blocks.keys(), 'concat'];
    const message = LAYERS.has(name)
      ? `'${name}(…)' as a value needs the value to apply it to first, e.g. ${name}(x, …), or use 'x -> ${name}(…)'`
      : `unknown layer or block '${name}'${didYouMean(name, known)}`;
    this.error(
      LAYERS.has(name) ? CODES.networkStructure : CODES.unknownName,
      message,
      call.callee.span,
    );
    return null;
  }

  /** `concat(a, b, dim: d)`: a use of the Concat layer on the values given. */
  private concat(call: CallExpr): Result {
    const values = call.args.filter((a) => !a.name).map((a) => a.value);
    if (values.length < 2) {
      this.error(CODES.missingArgument, 'concat needs at least two values', call.span);
      return null;
    }
    const settings = call.args.filter((a) => a.name);
    return this.combine(LAYERS.get('Concat')!, values, settings, call.span, 'concat');
  }

  /**
   * A layer that combines several values (`a + b`: Add, `concat(…)`: Concat), applied to the
   * values of `operands`.
   */
  private combine(
    def: LayerDef,
    operands: Expr[],
    args: CallExpr['args'],
    span: Span,
    what = def.name,
  ): Result {
    const inputs = operands.map((o) => this.expression(o));
    if (inputs.some((i) => i === null)) return null;
    return this.use(def, args, span, inputs as NetValue[], undefined, what);
  }

  /** `if cond { … } else { … }`: only the branch the parameters select is instantiated. */
  private conditional(expr: Extract<Expr, { kind: 'If' }>): Result {
    const condition = this.constant(expr.condition);
    if (condition?.t !== 'bool') {
      this.error(
        CODES.argumentType,
        'a condition must be true or false, computed from parameters',
        expr.condition.span,
      );
      return null;
    }
    const branch = condition.v ? expr.then : expr.otherwise;
    const value = this.body(branch);
    if (value === undefined) {
      this.error(CODES.networkStructure, 'this branch computes no value', expr.span);
      return null;
    }
    return value;
  }

  private constant(expr: Expr): SpecValue | undefined {
    try {
      return evaluate(expr, this.constants);
    } catch (e) {
      if (!(e instanceof EvalError)) throw e;
      this.error(CODES.argumentType, e.message, e.expr.span);
      return undefined;
    }
  }

  // ---- layers and blocks ---------------------------------------------------------------------

  /** A chain stage: `ReLU`, `Linear(784, 10)`, `BasicBlock(64, 64)`, or `Stage * n` (n in a row). */
  private applyStage(stage: Expr, input: Result): Result {
    if (stage.kind === 'Binary' && stage.op === '*') {
      const times = this.constant(stage.right);
      if (times?.t !== 'num' || !times.int || times.v < 1) {
        this.error(
          CODES.argumentType,
          'a layer repeated with * needs a positive integer count',
          stage.right.span,
        );
        return null;
      }
      if (times.v > LIMITS.repeat) {
        const message = `a stage repeated ${shown(times.v)} times; a stage may be repeated up to ${shown(LIMITS.repeat)} times`;
        this.error(CODES.limit, message, stage.right.span);
        return null;
      }
      let value = input;
      for (let i = 0; i < times.v && !this.model.full; i++)
        value = this.applyStage(stage.left, value);
      return value;
    }
    if (stage.kind !== 'Name' && stage.kind !== 'Call') {
      this.error(
        CODES.networkStructure,
        "expected a layer after '->', e.g. 'ReLU' or 'Linear(auto, 10)'",
        stage.span,
      );
      return null;
    }
    const callee = stage.kind === 'Call' ? stage.callee : stage;
    const args = stage.kind === 'Call' ? stage.args : [];
    return this.apply(callee.name, callee.span, args, stage.span, input, stage.alias);
  }

  private apply(
    name: string,
    nameSpan: Span,
    args: CallExpr['args'],
    span: Span,
    input: Result,
    alias?: Identifier,
  ): Result {
    if (this.model.full) return null;
    const block = this.model.blocks.get(name);
    if (block) return this.applyBlock(block, args, span, input, alias);
    const def = LAYERS.get(name);
    if (!def) {
      const known = [...LAYERS.keys(), ...this.model.blocks.keys()];
      this.error(CODES.unknownName, `unknown layer '${name}'${didYouMean(name, known)}`, nameSpan);
      return null;
    }
    if (def.inputs === 'several') {
      const how = def.name === 'Add' ? 'a + b' : 'concat(a, b)';
      const message = `${def.name} combines several values: write ${how}`;
      this.error(CODES.networkStructure, message, nameSpan);
      return null;
    }
    return input && this.use(def, args, span, [input], alias);
  }

  /** A use of layer `def` on `inputs`: arguments bound, output shape inferred, a path given. */
  private use(
    def: LayerDef,
    args: CallExpr['args'],
    span: Span,
    inputs: NetValue[],
    alias?: Identifier,
    what = def.name,
  ): Result {
    const ctx = { what, file: this.file, span, constants: this.constants };
    const bound = bindArgs(args, def.args, ctx, this.model.diags);
    if (!bound) return null;
    const shapes = inputs.map((i) => i.shape);
    const result = def.infer(shapes, bound);
    if ('error' in result) {
      const at = (result.arg && bound.spans.get(result.arg)) || span;
      const related = (result.inputNotes ?? []).map((note, k) => this.note(note, inputs[k].span));
      const code = result.outOfRange ? CODES.argumentRange : CODES.shapeMismatch;
      const problem = diagnostic(code, result.error, this.file, at, related);
      this.model.diags.push(withAuto(problem, def.args, result.arg, bound));
      return null;
    }
    const path = this.pathFor(def.name, alias);
    if (!path) return null;
    const node: ModelNode = {
      path,
      def,
      args: bound,
      inputs: inputs.map((i) => i.name),
      inputShapes: shapes,
      outputShape: result.shape,
      params: def.params(shapes, bound),
      span,
      file: this.file,
    };
    return this.model.add(node, this.file, span) ? { name: path, shape: result.shape, span } : null;
  }

  /** The module path of a new layer or block: its `as` name, else `<kind><k>`. */
  private pathFor(kind: string, alias: Identifier | undefined): string | undefined {
    if (!alias) return this.model.nextPath(this.prefix, kind);
    const path = this.model.claim(`${this.prefix}${alias.name}`);
    if (!path) {
      const message = `module name '${this.prefix}${alias.name}' is used twice`;
      this.error(CODES.duplicateDeclaration, message, alias.span);
    }
    return path;
  }

  private applyBlock(
    block: Located<BlockDecl>,
    args: CallExpr['args'],
    span: Span,
    input: Result,
    alias?: Identifier,
  ): Result {
    const name = block.decl.name.name;
    if (this.blockStack.includes(name) || this.blockStack.length >= MAX_BLOCK_DEPTH) {
      this.error(CODES.networkStructure, `block '${name}' uses itself`, span);
      return null;
    }
    const bound = bindParams(
      block.decl.params,
      args,
      `block ${name}`,
      this.file,
      span,
      this.constants,
      this.model.diags,
    );
    if (!bound || input === null) return null;
    const blockPath = this.pathFor(name, alias);
    if (!blockPath) return null;
    const prefix = `${blockPath}.`;
    const inner = new BodyChecker(
      this.model,
      block.file,
      prefix,
      bound,
      [...this.blockStack, name],
      input,
    );
    const value = inner.body(block.decl.body);
    if (value === undefined) {
      const related = [
        {
          message: `block '${name}' is declared here`,
          file: block.file,
          span: block.decl.name.span,
        },
      ];
      this.model.diags.push(
        diagnostic(
          CODES.networkStructure,
          `block '${name}' computes nothing`,
          this.file,
          span,
          related,
        ),
      );
      return null;
    }
    return value && { ...value, span };
  }

  private note(message: string, span: Span): RelatedNote {
    return { message, file: this.file, span };
  }

  private error(code: string, message: string, span: Span): void {
    this.model.diags.push(diagnostic(code, message, this.file, span));
  }
}

/**
 * A layer that does not fit its input, blaming an argument that may be `auto` (an input size):
 * writing `auto` is the fix.
 */
function withAuto(
  problem: Diagnostic,
  specs: readonly ArgSpec[],
  arg: string | undefined,
  bound: BoundArgs,
): Diagnostic {
  const argSpan = arg && bound.spans.get(arg);
  const inferable = specs.find((s) => s.name === arg)?.type === 'size';
  if (!argSpan || !inferable) return problem;
  const title = `Write auto: ${arg} inferred from the input`;
  return withFix({ ...problem, message: `${problem.message}; \`auto\` infers it` }, title, [
    { span: argSpan, text: 'auto' },
  ]);
}

/**
 * Binds call arguments to a network's or block's declared parameters (any type; defaults are
 * evaluated in the caller's constants). Returns the constants of the body, or undefined after
 * reporting what is wrong.
 */
export function bindParams(
  params: NetworkDecl['params'],
  args: CallExpr['args'],
  what: string,
  file: string,
  span: Span,
  constants: Constants,
  diags: Diagnostic[],
): Map<string, SpecValue> | undefined {
  const specs: ArgSpec[] = [];
  const before = diags.length;
  for (const p of params) {
    let fallback: SpecValue | undefined;
    if (p.default) {
      try {
        fallback = evaluate(p.default, constants);
      } catch (e) {
        if (!(e instanceof EvalError)) throw e;
        diags.push(
          diagnostic(
            CODES.argumentType,
            `default of '${p.name.name}': ${e.message}`,
            file,
            e.expr.span,
          ),
        );
      }
    }
    specs.push({ name: p.name.name, type: 'any', default: fallback, doc: `parameter of ${what}` });
  }
  // A default that could not be evaluated is reported once, not again as a missing argument.
  if (diags.length > before) return undefined;
  const bound = bindArgs(args, specs, { what, file, span, constants }, diags);
  return diags.length > before ? undefined : bound?.values;
}

export function checkNetwork(
  network: Located<NetworkDecl>,
  constants: Constants,
  blocks: ReadonlyMap<string, Located<BlockDecl>>,
  diags: Diagnostic[],
): Model | undefined {
  const { decl, file } = network;
  const model = new ModelBuilder(diags, blocks);
  const body = new BodyChecker(model, file, '', constants, []);
  const result = body.body(decl.body);
  const name = decl.name.name;
  if (!body.hasInput) {
    diags.push(
      diagnostic(
        CODES.networkInput,
        `network '${name}' has no 'input' statement`,
        file,
        decl.name.span,
      ),
    );
    return undefined;
  }
  if (result === undefined) {
    const message = `network '${name}' computes nothing: add a chain such as 'x -> Linear(auto, 10)'`;
    diags.push(diagnostic(CODES.networkStructure, message, file, decl.name.span));
    return undefined;
  }
  if (result === null || !body.input) return undefined;
  const { name: inputName, shape } = body.input;
  return {
    name,
    input: { name: inputName, shape },
    layers: model.nodes,
    output: result.name,
    outputShape: result.shape,
  };
}
