// Lexing: text → tokens plus the lexical diagnostics (NS0001 bad characters and escapes,
// NS0002 unterminated strings). Also caps bracket nesting so that the recursive-descent parser
// cannot overflow the stack on hostile input.
import { tokenMatcher, type ILexingError, type IToken, type TokenType } from 'chevrotain';
import { diagnostic, type Diagnostic } from './diagnostics.js';
import { tokenSpan } from './cst.js';
import {
  LBracket,
  LCurly,
  LParen,
  netspecLexer,
  RBracket,
  RCurly,
  RParen,
  StringLiteral,
  UnterminatedString,
} from './tokens.js';

/** Deeper nesting than any real spec needs, shallow enough for the parser's recursion. */
export const MAX_NESTING = 32;

export interface LexResult {
  tokens: IToken[];
  diagnostics: Diagnostic[];
  /** Offsets where characters or tokens were left out of `tokens`, in increasing order. */
  droppedAt: number[];
  /** The `# …` comments, in source order (not part of `tokens`). */
  comments: IToken[];
}

export function lex(text: string, file: string): LexResult {
  // A byte-order mark some editors write is white space (same length: positions stay).
  const result = netspecLexer.tokenize(text.startsWith('\uFEFF') ? ` ${text.slice(1)}` : text);
  const diagnostics = result.errors.map((error) => lexingErrorDiagnostic(error, text, file));
  for (const token of result.tokens) {
    if (tokenMatcher(token, StringLiteral)) diagnostics.push(...stringDiagnostics(token, file));
  }
  const nesting = limitNesting(result.tokens, file);
  const droppedAt = [...result.errors.map((e) => e.offset), ...nesting.droppedAt];
  return {
    tokens: nesting.tokens,
    diagnostics: [...diagnostics, ...nesting.diagnostics],
    droppedAt: droppedAt.sort((a, b) => a - b),
    comments: result.groups.comments ?? [],
  };
}

/**
 * Whether input was dropped just before `offset` (after the previous token). A parse error
 * there is a consequence of the lexical error already reported, not a second mistake.
 */
export function followsDroppedInput(lexed: LexResult, offset: number): boolean {
  const previous = lastTokenBefore(lexed.tokens, offset);
  const from = previous === undefined ? -1 : previous.startOffset;
  return lexed.droppedAt.some((dropped) => dropped > from && dropped < offset);
}

function lastTokenBefore(tokens: IToken[], offset: number): IToken | undefined {
  let [low, high] = [0, tokens.length];
  while (low < high) {
    const middle = (low + high) >> 1;
    if (tokens[middle].startOffset < offset) low = middle + 1;
    else high = middle;
  }
  return tokens[low - 1];
}

function lexingErrorDiagnostic(error: ILexingError, text: string, file: string): Diagnostic {
  const characters = text.slice(error.offset, error.offset + error.length);
  const noun = characters.length === 1 ? 'character' : 'characters';
  const line = error.line ?? 1;
  const column = error.column ?? 1;
  const span = {
    start: { offset: error.offset, line, column },
    end: { offset: error.offset + error.length, line, column: column + error.length },
  };
  return diagnostic('NS0001', `unexpected ${noun} '${printable(characters)}'`, file, span);
}

/** Shows control characters as U+XXXX so a message never contains invisible text. */
function printable(text: string): string {
  const show = (ch: string) => {
    const code = ch.charCodeAt(0);
    const isControl = code < 0x20 || code === 0x7f;
    return isControl ? `U+${code.toString(16).toUpperCase().padStart(4, '0')}` : ch;
  };
  return [...text].map(show).join('');
}

const KNOWN_ESCAPES = new Set(['"', '\\', 'n', 't']);

function stringDiagnostics(token: IToken, file: string): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  if (token.tokenType === UnterminatedString) {
    diagnostics.push(diagnostic('NS0002', 'unterminated string', file, tokenSpan(token)));
  }
  for (const match of token.image.matchAll(/\\(.?)/g)) {
    // A lone trailing backslash only occurs in an unterminated string, reported above.
    if (match[1] === '' || KNOWN_ESCAPES.has(match[1])) continue;
    const span = charactersSpan(token, match.index, match[0].length);
    const message = `unknown escape '${printable(match[0])}' in string; use \\" \\\\ \\n or \\t`;
    diagnostics.push(diagnostic('NS0001', message, file, span));
  }
  return diagnostics;
}

/** A span inside a single-line token. */
function charactersSpan(token: IToken, index: number, length: number) {
  const start = tokenSpan(token).start;
  return {
    start: { ...start, offset: start.offset + index, column: start.column + index },
    end: { ...start, offset: start.offset + index + length, column: start.column + index + length },
  };
}

const openers: ReadonlySet<TokenType> = new Set([LParen, LBracket, LCurly]);
const closers: ReadonlySet<TokenType> = new Set([RParen, RBracket, RCurly]);

/** Drops every bracket group that would open deeper than MAX_NESTING, reporting each once. */
function limitNesting(tokens: IToken[], file: string): LexResult {
  const kept: IToken[] = [];
  const diagnostics: Diagnostic[] = [];
  const droppedAt: number[] = [];
  let depth = 0;
  let skippedDepth = 0;
  for (const token of tokens) {
    const delta = openers.has(token.tokenType) ? 1 : closers.has(token.tokenType) ? -1 : 0;
    if (skippedDepth > 0) {
      skippedDepth += delta;
      continue;
    }
    if (delta === 1 && depth === MAX_NESTING) {
      const message = `brackets nested more than ${MAX_NESTING} deep`;
      diagnostics.push(diagnostic('NS0003', message, file, tokenSpan(token)));
      droppedAt.push(token.startOffset);
      skippedDepth = 1;
      continue;
    }
    depth = Math.max(0, depth + delta);
    kept.push(token);
  }
  return { tokens: kept, diagnostics, droppedAt, comments: [] };
}
