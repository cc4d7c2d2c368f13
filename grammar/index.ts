// The public entry point of the grammar: text in, AST and diagnostics out. Parsing never
// throws on user input; a broken file yields a partial AST and one diagnostic per mistake.
import type { IRecognitionException, IToken } from 'chevrotain';
import type { SpecFile } from './ast.js';
import { buildSpecFile } from './build-ast.js';
import { reportingTo } from './build-expr.js';
import { emptySpanAt, endOfText, tokenSpan } from './cst.js';
import { diagnostic, type Diagnostic, type Span } from './diagnostics.js';
import { followsDroppedInput, lex } from './lex.js';
import { parseTokens } from './parser.js';

export * from './ast.js';
export * from './diagnostics.js';

/** A `# …` comment: its text (with the `#`) and where it is. */
export interface Comment {
  text: string;
  span: Span;
}

export interface ParseResult {
  ast: SpecFile;
  diagnostics: Diagnostic[];
  /** Every comment, in source order (the formatter and the editor put them back). */
  comments: Comment[];
}

export function parse(text: string, file: string): ParseResult {
  try {
    return parseUnguarded(text, file);
  } catch (error) {
    // Lexing caps bracket nesting well below the default stack, so this only happens when
    // the caller itself runs on a small stack; report it rather than crash the caller.
    if (!(error instanceof RangeError)) throw error;
    return nestedTooDeeply(text, file);
  }
}

/**
 * The largest spec netspec reads, in characters and in tokens: far beyond any real spec (the
 * largest in specs/ has a few hundred tokens; 20,000 class names take 40,000), small enough
 * that the worst spec within both is checked in seconds (docs/decisions/0001-limits.md).
 */
export const MAX_SPEC_CHARS = 1 << 20;
export const MAX_SPEC_TOKENS = 200_000;

function parseUnguarded(text: string, file: string): ParseResult {
  if (text.length > MAX_SPEC_CHARS) return tooLarge(text, file);
  const lexed = lex(text, file);
  if (lexed.tokens.length > MAX_SPEC_TOKENS) return tooManyTokens(text, file, lexed.tokens);
  const { cst, errors } = parseTokens(lexed.tokens);
  const parseDiagnostics = errors
    .map((error) => parseErrorDiagnostic(error, text, file))
    .filter((d) => !followsDroppedInput(lexed, d.span.start.offset));
  const all = [...lexed.diagnostics, ...parseDiagnostics];
  const comments = lexed.comments.map((token) => ({ text: token.image, span: tokenSpan(token) }));
  const report = (message: string, span: Span) =>
    all.push(diagnostic('NS0004', message, file, span));
  const ast = reportingTo(report, () => buildSpecFile(cst, file, text));
  return { ast, diagnostics: sortByPosition(dropRepeats(all)), comments };
}

function nestedTooDeeply(text: string, file: string): ParseResult {
  return unparsed(text, file, 'NS0003', 'the file is nested too deeply to parse');
}

const count = (n: number) => n.toLocaleString('en-US');

function tooLarge(text: string, file: string): ParseResult {
  const message = `the file has ${count(text.length)} characters; a spec may have up to ${count(MAX_SPEC_CHARS)}`;
  return unparsed(text, file, 'NS0004', message);
}

function tooManyTokens(text: string, file: string, tokens: IToken[]): ParseResult {
  const message = `the file has ${count(tokens.length)} tokens (names, numbers, strings, symbols); a spec may have up to ${count(MAX_SPEC_TOKENS)}`;
  return unparsed(text, file, 'NS0004', message, tokenSpan(tokens[MAX_SPEC_TOKENS]));
}

/** A file left unparsed: an empty tree and one diagnostic (at its start unless given). */
function unparsed(
  text: string,
  file: string,
  code: string,
  message: string,
  at?: Span,
): ParseResult {
  const start = { offset: 0, line: 1, column: 1 };
  const span = { start, end: endOfText(text) };
  const ast: SpecFile = { kind: 'File', file, imports: [], declarations: [], span };
  const where = at ?? { start, end: start };
  return { ast, diagnostics: [diagnostic(code, message, file, where)], comments: [] };
}

function parseErrorDiagnostic(
  error: IRecognitionException,
  text: string,
  file: string,
): Diagnostic {
  return diagnostic('NS0003', error.message, file, errorSpan(error, text));
}

/** The offending token; the end-of-file token has no position, so use the end of the text. */
function errorSpan(error: IRecognitionException, text: string): Span {
  const token = error.token;
  return Number.isNaN(token.startOffset) ? emptySpanAt(endOfText(text)) : tokenSpan(token);
}

/** Recovery can report the same token twice; the first message is the most specific. */
function dropRepeats(diagnostics: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((d) => {
    const key = `${d.code}:${d.span.start.offset}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function sortByPosition(diagnostics: Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort((a, b) => a.span.start.offset - b.span.start.offset);
}

export { format, type FormatResult } from './format.js';
