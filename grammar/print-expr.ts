// Printing expressions and network statements canonically: spaces around binary operators,
// `name: value` arguments, parentheses only where precedence needs them, `if` over lines, and
// chains broken before each `->` when they are too long or hold a comment.
import type { Argument, ChainExpr, Expr, IfExpr, NetworkStatement, StringLiteral } from './ast.js';
import { cat, indented, isFlat, join, text, type Doc } from './print-doc.js';
import { PRECEDENCE } from './build-expr.js';

export const MAX_WIDTH = 100;

/** What printing needs from the source: literal text, and where comments and braces are. */
export interface PrintContext {
  source: string;
  /** Whether a comment lies between the two offsets. */
  hasComment(from: number, to: number): boolean;
  /** The offset of the first `}` at or after `offset`. */
  closeBraceAfter(offset: number): number;
}

// Binding strength, loosest first (the parser's table); an operand printed under a stronger
// operator gets parentheses.
const CHAIN = 0;
const NEGATION = PRECEDENCE.not;
const UNARY_MINUS = PRECEDENCE.negate;
const PRIMARY = 8;

function precedence(e: Expr): number {
  if (e.kind === 'Chain') return CHAIN;
  if (e.kind === 'Binary') return PRECEDENCE[e.op];
  if (e.kind === 'Unary') return e.op === 'not' ? NEGATION : UNARY_MINUS;
  return PRIMARY;
}

/** An operand that needs at least `minimum` binding strength to stand without parentheses. */
function operand(e: Expr, minimum: number, ctx: PrintContext): Doc {
  const doc = printExpr(e, ctx);
  return precedence(e) < minimum ? cat('(', doc, ')') : doc;
}

/**
 * An expression starting at `column` (0-based, absolute): a chain there may break over lines.
 * Elsewhere, e.g. inside arguments, use printExpr.
 */
export function printTopExpr(e: Expr, column: number, ctx: PrintContext): Doc {
  if (e.kind === 'Chain') return printChain(e, column, ctx);
  const doc = printExpr(e, ctx);
  const tooLong = isFlat(doc) && column + doc[0].text.length > MAX_WIDTH;
  if (tooLong && e.kind === 'List' && e.items.length > 1) {
    return printItemsBroken(text('[', e.span.start.offset), printExprs(e.items, ctx), ']', e);
  }
  if (tooLong && e.kind === 'Call' && e.args.length > 1) {
    const open = text(`${e.callee.name}(`, e.span.start.offset);
    return printItemsBroken(
      open,
      e.args.map((a) => printArg(a, ctx)),
      ')',
      e,
    );
  }
  return doc;
}

/** One item per line, each with a trailing comma, the closer on a line of its own. */
function printItemsBroken(open: Doc, items: Doc[], closer: string, e: Expr): Doc {
  const body = items.flatMap((item) => indented(cat(item, ','), 1));
  return [...open, ...body, ...text(closer, e.span.end.offset - 1)];
}

export function printExpr(e: Expr, ctx: PrintContext): Doc {
  const at = e.span.start.offset;
  switch (e.kind) {
    case 'Number':
      return text(e.text, at);
    case 'String':
      return printString(e, ctx);
    case 'Boolean':
      return text(String(e.value), at);
    case 'Auto':
      return text('auto', at);
    case 'Name':
      return text(e.alias ? `${e.name} as ${e.alias.name}` : e.name, at);
    case 'List':
      return cat(text('[', at), join(printExprs(e.items, ctx), ', '), ']');
    case 'Call':
      return cat(
        text(`${e.callee.name}(`, at),
        join(
          e.args.map((a) => printArg(a, ctx)),
          ', ',
        ),
        e.alias ? `) as ${e.alias.name}` : ')',
      );
    case 'Chain':
      return join(
        e.stages.map((s) => operand(s, CHAIN + 1, ctx)),
        ' -> ',
      );
    case 'Binary': {
      const strength = PRECEDENCE[e.op];
      const left = operand(e.left, strength, ctx);
      return cat(left, ` ${e.op} `, operand(e.right, strength + 1, ctx));
    }
    case 'Unary':
      return printUnary(e.op, e.operand, at, ctx);
    case 'If':
      return printIf(e, ctx);
  }
}

function printExprs(items: Expr[], ctx: PrintContext): Doc[] {
  return items.map((item) => printExpr(item, ctx));
}

/** Strings are printed as written, escapes and all (without the source, quoted afresh). */
function printString(e: StringLiteral, ctx: PrintContext): Doc {
  const written = ctx.source
    ? ctx.source.slice(e.span.start.offset, e.span.end.offset)
    : `"${e.value.replace(/[\\"]/g, '\\$&').replace(/\n/g, '\\n').replace(/\t/g, '\\t')}"`;
  return text(written, e.span.start.offset);
}

const WITHOUT_SOURCE: PrintContext = {
  source: '',
  hasComment: () => false,
  closeBraceAfter: (offset) => offset,
};

/** An expression on one line, e.g. a sweep's value as a table shows it: `SGD(lr: 0.1)`. */
export function exprText(e: Expr): string {
  return printExpr(e, WITHOUT_SOURCE)
    .map((line) => line.text)
    .join(' ');
}

function printUnary(op: '-' | 'not', inner: Expr, at: number, ctx: PrintContext): Doc {
  const doc = operand(inner, op === 'not' ? NEGATION : UNARY_MINUS, ctx);
  // `- -x` keeps its space so that it does not read as a typo for `--`.
  const gap = op === 'not' || doc[0].text.startsWith('-') ? ' ' : '';
  return cat(text(`${op}${gap}`, at), doc);
}

export function printArg(arg: Argument, ctx: PrintContext): Doc {
  const value = printExpr(arg.value, ctx);
  return arg.name ? cat(text(`${arg.name.name}: `, arg.span.start.offset), value) : value;
}

/** Breaks before each `->` when the chain is too long for one line or holds a comment. */
function printChain(e: ChainExpr, column: number, ctx: PrintContext): Doc {
  const stages = e.stages.map((s) => operand(s, CHAIN + 1, ctx));
  const flat = join(stages, ' -> ');
  const fits = isFlat(flat) && column + flat[0].text.length <= MAX_WIDTH;
  if (fits && !ctx.hasComment(e.span.start.offset, e.span.end.offset)) return flat;
  const rest = stages.slice(1).map((stage) => indented(cat('-> ', stage), 1));
  // Each `-> stage` starts a line of its own, one level deeper than the chain.
  return [...stages[0], ...rest.flat()];
}

function printIf(e: IfExpr, ctx: PrintContext): Doc {
  const header = cat(text('if ', e.span.start.offset), printExpr(e.condition, ctx), ' {');
  const thenEnd = lastEnd(e.then) ?? e.condition.span.end.offset;
  const closeThen = ctx.closeBraceAfter(thenEnd);
  const body = indented(printBlock(e.then, ctx), 1);
  const [only] = e.otherwise;
  const elseIf = e.otherwise.length === 1 && only.kind === 'ExpressionStatement' && only.expr;
  if (elseIf && elseIf.kind === 'If') {
    return [...header, ...body, ...cat(text('} else ', closeThen), printIf(elseIf, ctx))];
  }
  const close = text('}', e.span.end.offset - 1);
  // An empty `else { }` is the same tree as no `else`, so it is left out.
  if (e.otherwise.length === 0) return [...header, ...body, ...close];
  const otherwise = indented(printBlock(e.otherwise, ctx), 1);
  return [...header, ...body, ...text('} else {', closeThen), ...otherwise, ...close];
}

function lastEnd(statements: NetworkStatement[]): number | undefined {
  return statements.length === 0 ? undefined : statements[statements.length - 1].span.end.offset;
}

export function printBlock(statements: NetworkStatement[], ctx: PrintContext): Doc {
  return statements.flatMap((s) => printNetworkStatement(s, 0, ctx));
}

/** A statement of a network, block or `if` branch, at `indent` levels (for line widths). */
export function printNetworkStatement(s: NetworkStatement, indent: number, ctx: PrintContext): Doc {
  const at = s.span.start.offset;
  const column = indent * 2;
  switch (s.kind) {
    case 'Input': {
      const shape = s.shape ? cat(': ', printExpr(s.shape, ctx)) : text('', -1);
      return cat(text(`input ${s.name.name}`, at), shape);
    }
    case 'Output':
      return cat(text('output ', at), printTopExpr(s.value, column + 7, ctx));
    case 'Assignment':
      return printAssignment(s.target.name, s.value, s.options, at, column, ctx);
    case 'ExpressionStatement':
      return printTopExpr(s.expr, column, ctx);
  }
}

/** `name = value, option: value` */
export function printAssignment(
  target: string,
  value: Expr,
  options: Argument[],
  at: number,
  column: number,
  ctx: PrintContext,
): Doc {
  const prefix = `${target} = `;
  const printed = printTopExpr(value, column + prefix.length, ctx);
  const rest = options.map((o) => cat(', ', printArg(o, ctx)));
  return cat(text(prefix, at), printed, ...rest);
}
