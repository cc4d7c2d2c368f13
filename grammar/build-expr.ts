// CST → AST for expressions. Every builder returns undefined when error recovery left its
// node without the parts the AST requires; callers drop such pieces rather than emit holes.
import type { CstNode, IToken } from 'chevrotain';
import type {
  Argument,
  BinaryOperator,
  CallExpr,
  Expr,
  Identifier,
  IfExpr,
  ListExpr,
  NetworkStatement,
  NumberLiteral,
  StringLiteral,
} from './ast.js';
// A cycle, on purpose: an `if` expression holds statements, and statements hold expressions.
import { buildStatementBlock } from './build-statements.js';
import {
  childNode,
  childNodes,
  childToken,
  childTokens,
  isDefined,
  joinSpans,
  nodeSpan,
  tokenSpan,
} from './cst.js';
import type { Span } from './diagnostics.js';
import { splitTorchPrefix } from './habits.js';
import { UnterminatedString } from './tokens.js';

export function buildIdentifier(token: IToken): Identifier {
  return { kind: 'Identifier', name: token.image, span: tokenSpan(token) };
}

/**
 * Deeper expressions than any spec needs. Every later stage (checker, evaluator, formatter)
 * walks expressions recursively, so depth is bounded here, where the tree is made.
 */
export const MAX_EXPRESSION_DEPTH = 256;

/** Depth of the nodes built here (leaves are 1): kept aside, so AST nodes carry no extra field. */
const depths = new WeakMap<Expr, number>();
const depthOf = (expr: Expr) => depths.get(expr) ?? 1;

/** Records `expr`'s depth from its children's; undefined (with a problem reported) when too deep. */
function withDepth<T extends Expr>(expr: T, children: Iterable<Expr>): T | undefined {
  let deepest = 0;
  for (const child of children) deepest = Math.max(deepest, depthOf(child));
  if (deepest + 1 > MAX_EXPRESSION_DEPTH) {
    reportProblem(
      `expression nested more than ${MAX_EXPRESSION_DEPTH} deep (operators, calls and lists)`,
      expr.span,
    );
    return undefined;
  }
  depths.set(expr, deepest + 1);
  return expr;
}

/** Where the builder reports what the grammar accepts but netspec refuses (set by buildSpecFile). */
let reportProblem: (message: string, span: Span) => void = () => undefined;

/** Runs `build` with problems reported to `report`. */
export function reportingTo<T>(report: (message: string, span: Span) => void, build: () => T): T {
  const previous = reportProblem;
  reportProblem = report;
  try {
    return build();
  } finally {
    reportProblem = previous;
  }
}

/**
 * A callee or name token, which may be written with PyTorch's module prefix (`nn.Conv2d`): the
 * name without it, the prefix marked for grammar/habits.ts. Other dotted names stay whole.
 */
export function buildCalleeName(token: IToken): Identifier {
  const whole = buildIdentifier(token);
  const split = splitTorchPrefix(token.image);
  if (split === undefined) return whole;
  const { start, end } = whole.span;
  const at = (delta: number) => ({
    ...start,
    offset: start.offset + delta,
    column: start.column + delta,
  });
  const prefixEnd = at(split.prefix.length);
  return {
    kind: 'Identifier',
    name: split.name,
    span: { start: prefixEnd, end },
    torchPrefix: { start, end: prefixEnd },
  };
}

/** An `expression` node: a chain of stages, or the single stage when there is no `->`. */
export function buildExpression(node: CstNode | undefined): Expr | undefined {
  if (node === undefined) return undefined;
  const stages = childNodes(node, 'stage').map(buildStage).filter(isDefined);
  if (stages.length <= 1) return stages[0];
  const span = joinSpans(stages[0].span, stages[stages.length - 1].span);
  return withDepth({ kind: 'Chain', stages, span }, stages);
}

/** A stage with an optional `as name`, kept on the layer call or name it follows. */
function buildStage(node: CstNode): Expr | undefined {
  const value = buildOperation(node);
  const [alias] = childTokens(node, 'alias');
  if (!value || !alias) return value;
  // Only a layer can be named; `as` after any other value is not kept.
  if (value.kind !== 'Call' && value.kind !== 'Name') return value;
  const named = {
    ...value,
    alias: buildIdentifier(alias),
    span: joinSpans(value.span, tokenSpan(alias)),
  };
  if (depths.has(value)) depths.set(named, depthOf(value));
  return named;
}

const BINARY_OPERATORS: ReadonlyMap<string, BinaryOperator> = new Map([
  ['+', '+'],
  ['-', '-'],
  ['*', '*'],
  ['/', '/'],
  ['==', '=='],
  ['!=', '!='],
  ['<', '<'],
  ['<=', '<='],
  ['>', '>'],
  ['>=', '>='],
  ['and', 'and'],
  ['or', 'or'],
]);

/** Binding strength, loosest first; prefix `not` sits between `and` and comparisons. */
export const PRECEDENCE: Readonly<Record<BinaryOperator | 'not' | 'negate', number>> = {
  or: 1,
  and: 2,
  not: 3,
  '==': 4,
  '!=': 4,
  '<': 4,
  '<=': 4,
  '>': 4,
  '>=': 4,
  '+': 5,
  '-': 5,
  '*': 6,
  '/': 6,
  negate: 7,
};

type Pending =
  | { kind: 'prefix'; op: '-' | 'not'; token: IToken; precedence: number }
  | { kind: 'binary'; op: BinaryOperator; precedence: number };

/** One piece of an operation row, in source order. */
type RowItem = { token: IToken; role: 'prefix' | 'operator' } | { operand: CstNode };

/**
 * An operation row (`-a * b + c`) → a tree, by precedence with explicit stacks (binary operators
 * left-associative, `- -x` is `-(-x)`), so a long row costs no recursion. The row stops at the
 * first operand recovery lost.
 */
function buildOperation(node: CstNode): Expr | undefined {
  const { operand, operator, prefix } = node.children;
  // Most rows are a single operand: skip the stacks.
  if (operand?.length === 1 && !operator && !prefix) return buildPrimary(operand[0] as CstNode);
  const operands: Expr[] = [];
  const pending: Pending[] = [];
  const reduce = (): boolean => {
    const top = pending.pop()!;
    const right = operands.pop()!;
    if (top.kind === 'prefix') {
      const span = joinSpans(tokenSpan(top.token), right.span);
      const unary = withDepth({ kind: 'Unary', op: top.op, operand: right, span }, [right]);
      return unary !== undefined && operands.push(unary) > 0;
    }
    const left = operands.pop()!;
    const span = joinSpans(left.span, right.span);
    const binary = withDepth({ kind: 'Binary', op: top.op, left, right, span }, [left, right]);
    return binary !== undefined && operands.push(binary) > 0;
  };
  let expectOperand = true;
  for (const item of rowItems(node)) {
    if ('operand' in item) {
      const operand = buildPrimary(item.operand);
      if (operand === undefined) break;
      operands.push(operand);
      expectOperand = false;
    } else if (item.role === 'prefix') {
      const op = item.token.image === 'not' ? 'not' : '-';
      const precedence = PRECEDENCE[op === 'not' ? 'not' : 'negate'];
      pending.push({ kind: 'prefix', op, token: item.token, precedence });
    } else {
      const op = BINARY_OPERATORS.get(item.token.image);
      if (op === undefined || expectOperand) break;
      while (pending.length > 0 && pending[pending.length - 1].precedence >= PRECEDENCE[op])
        if (!reduce()) return undefined;
      pending.push({ kind: 'binary', op, precedence: PRECEDENCE[op] });
      expectOperand = true;
    }
  }
  // A row cut short by recovery keeps what it had before its dangling operators.
  if (expectOperand) {
    while (pending.length > 0 && pending[pending.length - 1].kind === 'prefix') pending.pop();
    pending.pop();
  }
  if (operands.length === 0) return undefined;
  while (pending.length > 0) if (!reduce()) return undefined;
  return operands[0];
}

/** Prefix operators, operands and binary operators of a row, in source order. */
function rowItems(node: CstNode): RowItem[] {
  const at = (item: RowItem) =>
    'operand' in item ? (item.operand.location?.startOffset ?? NaN) : item.token.startOffset;
  const items: RowItem[] = [
    ...childTokens(node, 'prefix').map((token) => ({ token, role: 'prefix' as const })),
    ...childTokens(node, 'operator').map((token) => ({ token, role: 'operator' as const })),
    ...childNodes(node, 'operand').map((operand) => ({ operand })),
  ];
  // An operand recovery left without any token has no position, and nothing to build.
  return items.filter((item) => !Number.isNaN(at(item))).sort((x, y) => at(x) - at(y));
}

function buildPrimary(node: CstNode | undefined): Expr | undefined {
  if (node === undefined) return undefined;
  const span = nodeSpan(node);
  if (span === undefined) return undefined;
  const name = childToken(node, 'name');
  const args = childNode(node, 'arguments');
  if (name) return args ? buildCall(name, args, span) : buildName(name, span);
  const list = childNode(node, 'list');
  if (list) return buildList(list);
  const parenthesized = childNode(node, 'parenthesized');
  if (parenthesized) return buildParenthesized(parenthesized, span);
  const ifExpression = childNode(node, 'ifExpression');
  if (ifExpression) return buildIf(ifExpression);
  return buildLiteral(node, span);
}

/** A bare name; Python's `True`/`False` are read as booleans, marked for grammar/habits.ts. */
function buildName(token: IToken, span: Span): Expr {
  if (token.image === 'True' || token.image === 'False')
    return { kind: 'Boolean', value: token.image === 'True', python: true, span };
  const callee = buildCalleeName(token);
  const prefix = callee.torchPrefix ? { torchPrefix: callee.torchPrefix } : {};
  return { kind: 'Name', name: callee.name, span, ...prefix };
}

/** `(a + b)` is its inner expression; `(7, 7)` (commas) a list marked as a tuple. */
function buildParenthesized(node: CstNode, span: Span): Expr | undefined {
  const items = childNodes(node, 'inner').map(buildExpression);
  if (childTokens(node, 'comma').length === 0) return items[0];
  const defined = items.filter(isDefined);
  return withDepth({ kind: 'List', items: defined, tuple: true, span }, defined);
}

function buildLiteral(node: CstNode, span: Span): Expr | undefined {
  const number = childToken(node, 'number');
  if (number) return buildNumber(number, childToken(node, 'percent') !== undefined, span);
  const string = childToken(node, 'string');
  if (string) return buildString(string);
  if (childToken(node, 'true')) return { kind: 'Boolean', value: true, span };
  if (childToken(node, 'false')) return { kind: 'Boolean', value: false, span };
  if (childToken(node, 'auto')) return { kind: 'Auto', span };
  return undefined;
}

export function buildNumber(token: IToken, isPercent: boolean, span: Span): NumberLiteral {
  const written = Number(token.image);
  return {
    kind: 'Number',
    value: isPercent ? written / 100 : written,
    text: isPercent ? `${token.image}%` : token.image,
    // Whole numbers are integers however they are written: 32, 32.0, 1e12.
    isInteger: !isPercent && Number.isInteger(written),
    span,
  };
}

const ESCAPED_CHARACTERS: Readonly<Record<string, string>> = {
  n: '\n',
  t: '\t',
  '"': '"',
  '\\': '\\',
};

export function buildString(token: IToken): StringLiteral {
  const terminated = token.tokenType !== UnterminatedString;
  const body = token.image.slice(1, terminated ? -1 : undefined);
  // Unknown escapes were reported while lexing; keep the escaped character itself.
  const value = body.replace(/\\(.?)/g, (_, ch: string) => ESCAPED_CHARACTERS[ch] ?? ch);
  return { kind: 'String', value, span: tokenSpan(token) };
}

/** `else if` nests the next IfExpr as the sole statement of `otherwise`. */
function buildIf(node: CstNode): IfExpr | undefined {
  const condition = buildExpression(childNode(node, 'condition'));
  const span = nodeSpan(node);
  if (condition === undefined || span === undefined) return undefined;
  const then = buildStatementBlock(childNode(node, 'then'));
  const elseIf = childNode(node, 'elseIf');
  const nested = elseIf && buildIf(elseIf);
  const otherwise: NetworkStatement[] = nested
    ? [{ kind: 'ExpressionStatement', expr: nested, span: nested.span }]
    : buildStatementBlock(childNode(node, 'otherwise'));
  const inside = [...then, ...otherwise].flatMap(statementExprs);
  return withDepth({ kind: 'If', condition, then, otherwise, span }, [condition, ...inside]);
}

/** The expressions a statement of an `if` branch holds, for the branch's depth. */
function statementExprs(statement: NetworkStatement): Expr[] {
  switch (statement.kind) {
    case 'ExpressionStatement':
      return [statement.expr];
    case 'Output':
      return [statement.value];
    case 'Assignment':
      return [statement.value, ...statement.options.map((o) => o.value)];
    case 'Input':
      return statement.shape ? [statement.shape] : [];
  }
}

export function buildCall(name: IToken, args: CstNode, span: Span): CallExpr | undefined {
  const argumentList = childNodes(args, 'argument').map(buildArgument).filter(isDefined);
  const call: CallExpr = { kind: 'Call', callee: buildCalleeName(name), args: argumentList, span };
  return withDepth(
    call,
    argumentList.map((a) => a.value),
  );
}

/** More items than any list needs (class names, shapes, means): later stages may copy lists. */
export const MAX_LIST_ITEMS = 65_536;

export function buildList(node: CstNode): ListExpr | undefined {
  const span = nodeSpan(node);
  if (span === undefined) return undefined;
  const count = node.children.item?.length ?? 0;
  if (count > MAX_LIST_ITEMS) {
    const shown = (n: number) => n.toLocaleString('en-US');
    reportProblem(
      `a list of ${shown(count)} items; lists may have up to ${shown(MAX_LIST_ITEMS)}`,
      span,
    );
    return undefined;
  }
  const items = childNodes(node, 'item').map(buildExpression).filter(isDefined);
  return withDepth({ kind: 'List', items, span }, items);
}

function buildArgument(node: CstNode): Argument | undefined {
  const named = childNode(node, 'named');
  if (named) return buildNamedArgument(named);
  const value = buildExpression(childNode(node, 'value'));
  return value && { kind: 'Argument', name: null, value, span: value.span };
}

/** `name: value`, in a call or as a trailing option of an assignment. */
export function buildNamedArgument(node: CstNode): Argument | undefined {
  const name = childToken(node, 'name');
  const value = buildExpression(childNode(node, 'value'));
  if (name === undefined || value === undefined) return undefined;
  const identifier = buildIdentifier(name);
  const span = joinSpans(identifier.span, value.span);
  if (childToken(node, 'equals') === undefined)
    return { kind: 'Argument', name: identifier, value, span };
  const equals = { start: identifier.span.end, end: value.span.start };
  return { kind: 'Argument', name: identifier, value, span, equals };
}
