// Instantiates a network declaration with arguments: resolves every layer in every chain,
// binds its arguments, infers shapes through it, and names it by a PyTorch-style path.
// Mistakes become diagnostics; a value whose shape could not be inferred is poisoned (null) so
// that one mistake does not cascade into many.
import type { Diagnostic, Expr, NetworkDecl, NetworkStatement, Span } from '../../grammar/index.js';
import { diagnostic } from '../../grammar/index.js';
import { CODES } from '../codes.js';
import type { Shape } from '../ir/graph.js';
import { LAYERS } from '../layers/registry.js';
import { bindArgs } from './args.js';
import type { Model, ModelNode } from './model.js';
import { didYouMean } from './names.js';
import type { Constants } from './values.js';
import { evaluate, EvalError } from './values.js';

interface NetValue {
  name: string;
  shape: Shape;
}

class NetworkChecker {
  private values = new Map<string, NetValue | null>();
  private layers: ModelNode[] = [];
  private kindCounts = new Map<string, number>();
  private input?: NetValue;

  constructor(
    private decl: NetworkDecl,
    private file: string,
    private constants: Constants,
    private diags: Diagnostic[],
  ) {}

  run(): Model | undefined {
    let last: NetValue | null | undefined;
    let output: NetValue | null | undefined;
    for (const statement of this.decl.body) {
      const value = this.statement(statement);
      if (statement.kind === 'Output') output = value;
      else if (statement.kind !== 'Input') last = value;
    }
    const result = output === undefined ? last : output;
    if (!this.input) {
      this.error(
        CODES.networkInput,
        `network '${this.decl.name.name}' has no 'input' statement`,
        this.decl.name.span,
      );
      return undefined;
    }
    if (result === undefined) {
      const message = `network '${this.decl.name.name}' computes nothing: add a chain such as 'x -> Linear(auto, 10)'`;
      this.error(CODES.networkStructure, message, this.decl.name.span);
      return undefined;
    }
    if (result === null) return undefined;
    return {
      name: this.decl.name.name,
      input: this.input,
      layers: this.layers,
      output: result.name,
      outputShape: result.shape,
    };
  }

  private statement(statement: NetworkStatement): NetValue | null | undefined {
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

  private declareInput(name: string, span: Span, shapeExpr: Expr | null): NetValue | null {
    if (this.input) {
      this.error(CODES.networkInput, 'a network has one input for now', span);
      return null;
    }
    if (!shapeExpr) {
      this.error(
        CODES.networkInput,
        `input '${name}' needs a shape, e.g. 'input ${name}: [1, 28, 28]'`,
        span,
      );
      return null;
    }
    const dims = this.evaluateShape(shapeExpr);
    if (!dims) return null;
    this.input = { name, shape: ['N', ...dims] };
    this.values.set(name, this.input);
    return this.input;
  }

  private evaluateShape(expr: Expr): number[] | undefined {
    try {
      const value = evaluate(expr, this.constants);
      if (value.t === 'list' && value.items.every((i) => i.t === 'num' && i.int && i.v > 0)) {
        return value.items.map((i) => (i.t === 'num' ? i.v : 0));
      }
    } catch (e) {
      if (!(e instanceof EvalError)) throw e;
    }
    this.error(
      CODES.networkInput,
      'an input shape is a list of positive integers, e.g. [1, 28, 28]',
      expr.span,
    );
    return undefined;
  }

  private expression(expr: Expr): NetValue | null {
    if (expr.kind === 'Chain') {
      let value = this.expression(expr.stages[0]);
      for (const stage of expr.stages.slice(1)) value = this.applyLayer(stage, value);
      return value;
    }
    if (expr.kind === 'Name') {
      const value = this.values.get(expr.name);
      if (value !== undefined) return value;
      const known = [...this.values.keys()];
      const hint = LAYERS.has(expr.name)
        ? `; a layer is applied with '->', e.g. 'x -> ${expr.name}'`
        : didYouMean(expr.name, known);
      this.error(CODES.unknownName, `unknown value '${expr.name}'${hint}`, expr.span);
      return null;
    }
    this.error(
      CODES.networkStructure,
      'expected a value of the network here (an input or a named result)',
      expr.span,
    );
    return null;
  }

  /** Applies the layer named by `stage` (`ReLU` or `Linear(784, 10)`) to `input`. */
  private applyLayer(stage: Expr, input: NetValue | null): NetValue | null {
    if (stage.kind !== 'Name' && stage.kind !== 'Call') {
      this.error(
        CODES.networkStructure,
        "expected a layer after '->', e.g. 'ReLU' or 'Linear(auto, 10)'",
        stage.span,
      );
      return null;
    }
    const nameNode = stage.kind === 'Call' ? stage.callee : stage;
    const def = LAYERS.get(nameNode.name);
    if (!def) {
      const message = `unknown layer '${nameNode.name}'${didYouMean(nameNode.name, LAYERS.keys())}`;
      this.error(CODES.unknownName, message, nameNode.span);
      return null;
    }
    const ctx = { what: def.name, file: this.file, span: stage.span, constants: this.constants };
    const before = this.diags.length;
    const args = bindArgs(stage.kind === 'Call' ? stage.args : [], def.args, ctx, this.diags);
    if (this.diags.length > before || input === null) return null;
    const result = def.infer(input.shape, args);
    if ('error' in result) {
      const span = (result.arg && args.spans.get(result.arg)) || stage.span;
      this.error(CODES.shapeMismatch, result.error, span);
      return null;
    }
    const path = this.nextPath(def.name);
    this.layers.push({
      kind: 'layer',
      path,
      def,
      args,
      inputs: [input.name],
      inputShape: input.shape,
      outputShape: result.shape,
      params: def.params(input.shape, args),
      span: stage.span,
    });
    return { name: path, shape: result.shape };
  }

  private nextPath(kind: string): string {
    const count = (this.kindCounts.get(kind) ?? 0) + 1;
    this.kindCounts.set(kind, count);
    return `${kind.toLowerCase()}${count}`;
  }

  private error(code: string, message: string, span: Span): void {
    this.diags.push(diagnostic(code, message, this.file, span));
  }
}

export function checkNetwork(
  decl: NetworkDecl,
  file: string,
  constants: Constants,
  diags: Diagnostic[],
): Model | undefined {
  return new NetworkChecker(decl, file, constants, diags).run();
}
