// Our spans are 1-based lines and columns counted in UTF-16 code units (JavaScript string
// indices); LSP positions are 0-based with the same units. This is the one place they meet.
import type { Position as LspPosition, Range } from 'vscode-languageserver';
import type { Span } from '../../compiler/index.js';

export function toRange(span: Span): Range {
  return {
    start: { line: span.start.line - 1, character: span.start.column - 1 },
    end: { line: span.end.line - 1, character: span.end.column - 1 },
  };
}

export function contains(span: Span, offset: number): boolean {
  return span.start.offset <= offset && offset <= span.end.offset;
}

/** The identifier touching `offset` (the cursor may sit just after it), if any. */
export function wordAt(text: string, offset: number): { word: string; start: number } | undefined {
  let start = offset;
  while (start > 0 && /[A-Za-z0-9_]/.test(text[start - 1])) start--;
  let end = offset;
  while (end < text.length && /[A-Za-z0-9_]/.test(text[end])) end++;
  const word = text.slice(start, end);
  return /^[A-Za-z_]/.test(word) ? { word, start } : undefined;
}

export type { LspPosition };
