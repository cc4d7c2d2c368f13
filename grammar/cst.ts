// Small, typed accessors over chevrotain's concrete syntax tree, and conversions from
// chevrotain's locations (inclusive ends) to our half-open spans.
//
// With error recovery on, a CST node may lack any child, and single-token insertion adds
// tokens with an empty image and NaN positions. The accessors hide those inserted tokens, so
// the AST builder sees only what the user wrote and drops what is missing.
import type { CstElement, CstNode, CstNodeLocation, IToken } from 'chevrotain';
import type { Position, Span } from './diagnostics.js';

function isToken(element: CstElement): element is IToken {
  return 'image' in element;
}

function isRealToken(token: IToken): boolean {
  return token.isInsertedInRecovery !== true && !Number.isNaN(token.startOffset);
}

export function childNodes(node: CstNode, label: string): CstNode[] {
  return (node.children[label] ?? []).filter((el): el is CstNode => !isToken(el));
}

export function childNode(node: CstNode, label: string): CstNode | undefined {
  return childNodes(node, label)[0];
}

export function childTokens(node: CstNode, label: string): IToken[] {
  return (node.children[label] ?? []).filter((el): el is IToken => isToken(el) && isRealToken(el));
}

export function childToken(node: CstNode, label: string): IToken | undefined {
  return childTokens(node, label)[0];
}

export function tokenSpan(token: IToken): Span {
  return {
    start: {
      offset: token.startOffset,
      line: token.startLine ?? 1,
      column: token.startColumn ?? 1,
    },
    end: {
      offset: (token.endOffset ?? token.startOffset) + 1,
      line: token.endLine ?? token.startLine ?? 1,
      column: (token.endColumn ?? token.startColumn ?? 0) + 1,
    },
  };
}

/** The span of a CST node, or undefined when recovery left it without any real token. */
export function nodeSpan(node: CstNode): Span | undefined {
  const loc: CstNodeLocation | undefined = node.location;
  if (loc === undefined || Number.isNaN(loc.startOffset)) return undefined;
  return {
    start: { offset: loc.startOffset, line: loc.startLine ?? 1, column: loc.startColumn ?? 1 },
    end: {
      offset: (loc.endOffset ?? loc.startOffset) + 1,
      line: loc.endLine ?? 1,
      column: (loc.endColumn ?? 0) + 1,
    },
  };
}

/** From the start of `first` to the end of `last`. */
export function joinSpans(first: Span, last: Span): Span {
  return { start: first.start, end: last.end };
}

/** The position just past the last character of `text`. */
export function endOfText(text: string): Position {
  const lines = text.split(/\r\n|\r|\n/);
  const lastLine = lines[lines.length - 1];
  return { offset: text.length, line: lines.length, column: lastLine.length + 1 };
}

export function emptySpanAt(position: Position): Span {
  return { start: position, end: position };
}

export function isDefined<T>(value: T | undefined): value is T {
  return value !== undefined;
}
