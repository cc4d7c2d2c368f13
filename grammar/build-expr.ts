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
  const stages = childNodes(node, 'stage').map(buildNamedStage).filter(isDefined);
  if (stages.length <= 1) return stages[0];
  const span = joinSpans(stages[0].span, stages[stages.length - 1].span);
  return { kind: 'Chain', stages, span };
}

/** A stage with an optional `as name`, kept on the layer call or name it follows. */
function buildNamedStage(node: CstNode): Expr | undefined {
  const [valueNode] = childNodes(node, 'value');
  const value = valueNode && buildDisjunction(valueNode);
  const [alias] = childTokens(node, 'alias');
  if (!value || !alias) return value;
  // Only a layer can be named; `as` after any other value is not kept.
  if (value.kind !== 'Call' && value.kind !== 'Name') return value;
  return { ...value, alias: buildIdentifier(alias), span: joinSpans(value.span, tokenSpan(alias)) };
}

function buildDisjunction(node: CstNode): Expr | undefined {
  return buildLeftAssociative(node, buildConjunction);
}

function buildConjunction(node: CstNode): Expr | undefined {
  return buildLeftAssociative(node, buildNegation);
}

function buildNegation(node: CstNode): Expr | undefined {
  return buildPrefixed(node, 'not', buildComparison);
}

function buildComparison(node: CstNode | undefined): Expr | undefined {
  if (node === undefined) return undefined;
  return buildLeftAssociative(node, buildAdditive);
}

function buildAdditive(node: CstNode): Expr | undefined {
  return buildLeftAssociative(node, buildMultiplicative);
}

function buildMultiplicative(node: CstNode): Expr | undefined {
  return buildLeftAssociative(node, buildUnary);
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

/** `a op b op c` → `((a op b) op c)`, stopping at the first operand recovery lost. */
function buildLeftAssociative(
  node: CstNode,
  buildOperand: (operand: CstNode) => Expr | undefined,
): Expr | undefined {
  const operands = childNodes(node, 'operand').map(buildOperand);
  const operators = childTokens(node, 'operator');
  let result = operands[0];
  if (result === undefined) return undefined;
  for (const [index, operator] of operators.entries()) {
    const right = operands[index + 1];
    const op = BINARY_OPERATORS.get(operator.image);
    if (right === undefined || op === undefined) break;
    result = { kind: 'Binary', op, left: result, right, span: joinSpans(result.span, right.span) };
  }
  return result;
}

function buildUnary(node: CstNode): Expr | undefined {
  return buildPrefixed(node, '-', buildPrimary);
}

/** `op op x` (`- -x`, `not not x`): the operators were read in a loop, not by recursion. */
function buildPrefixed(
  node: CstNode,
  op: '-' | 'not',
  buildOperand: (operand: CstNode | undefined) => Expr | undefined,
): Expr | undefined {
  let result = buildOperand(childNode(node, 'operand'));
  if (result === undefined) return undefined;
  // Apply the innermost operator first: `- -x` is `-(-x)`.
  for (const token of childTokens(node, 'operator').reverse()) {
    const span = joinSpans(tokenSpan(token), result.span);
    result = { kind: 'Unary', op, operand: result, span };
  }
  return result;
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
  return { kind: 'List', items: items.filter(isDefined), tuple: true, span };
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
    isInteger: !isPercent && /^\d+$/.test(token.image),
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
  return { kind: 'If', condition, then, otherwise, span };
}

export function buildCall(name: IToken, args: CstNode, span: Span): CallExpr {
  const argumentList = childNodes(args, 'argument').map(buildArgument).filter(isDefined);
  return { kind: 'Call', callee: buildCalleeName(name), args: argumentList, span };
}

export function buildList(node: CstNode): ListExpr | undefined {
  const span = nodeSpan(node);
  if (span === undefined) return undefined;
  const items = childNodes(node, 'item').map(buildExpression).filter(isDefined);
  return { kind: 'List', items, span };
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
