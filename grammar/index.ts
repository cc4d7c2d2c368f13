// The public entry point of the grammar: text in, AST and diagnostics out. Parsing never
// throws on user input; a broken file yields a partial AST and one diagnostic per mistake.
import type { IRecognitionException, IToken } from 'chevrotain';
import type { SpecFile } from './ast.js';
import { buildSpecFile } from './build-ast.js';
import { reportingTo } from './build-expr.js';
import { emptySpanAt, endOfText, tokenSpan } from './cst.js';
import { diagnostic, type Diagnostic, type Span } from './diagnostics.js';
import { torchHabits } from './habits.js';
import { followsDroppedInput, lex } from './lex.js';
import { place, splitChunks, type Chunk, type ParseCache } from './chunks.js';
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

/** What parsing one part of a file gives (see chunks.ts); a `ParseCache` keeps these. */
export type PartCache = ParseCache<ParseResult>;

/**
 * Parses a file part by part (chunks.ts). With a cache, parts whose text did not change since
 * the cache's last parse are reused, not parsed again.
 */
export function parse(text: string, file: string, cache?: PartCache): ParseResult {
  if (text.length > MAX_SPEC_CHARS) return tooLarge(text, file);
  const parts = splitChunks(text).map(
    (chunk) => cache?.take(chunk) ?? parsePart(chunk, file, cache),
  );
  cache?.done();
  const span = { start: { offset: 0, line: 1, column: 1 }, end: endOfText(text) };
  return {
    ast: {
      kind: 'File',
      file,
      imports: parts.flatMap((p) => p.ast.imports),
      declarations: parts.flatMap((p) => p.ast.declarations),
      span,
    },
    diagnostics: parts.flatMap((p) => p.diagnostics),
    comments: parts.flatMap((p) => p.comments),
  };
}

function parsePart(chunk: Chunk, file: string, cache: PartCache | undefined): ParseResult {
  const parsed = place(parseText(chunk.text, file, chunk.next), chunk);
  cache?.put(chunk, parsed);
  return parsed.result;
}

/** Parses text on its own; `next` is the keyword that follows it in its file, if any. */
function parseText(text: string, file: string, next: string | undefined): ParseResult {
  try {
    return parseUnguarded(text, file, next);
  } catch (error) {
    // Lexing caps bracket nesting well below the default stack, so this only happens when
    // the caller itself runs on a small stack; report it rather than crash the caller.
    if (!(error instanceof RangeError)) throw error;
    return nestedTooDeeply(text, file);
  }
}

/**
 * The largest spec netspec reads, in characters, and the most tokens one declaration may have:
 * far beyond any real spec (the largest in specs/ has a few hundred tokens; 20,000 class names
 * take 40,000), small enough that the worst spec within both is checked in seconds
 * (docs/decisions/0020-limits.md).
 */
export const MAX_SPEC_CHARS = 1 << 20;
export const MAX_PART_TOKENS = 200_000;

function parseUnguarded(text: string, file: string, next: string | undefined): ParseResult {
  const lexed = lex(text, file);
  if (lexed.tokens.length > MAX_PART_TOKENS) return tooManyTokens(text, file, lexed.tokens);
  const { cst, errors } = parseTokens(lexed.tokens, next === undefined ? undefined : `'${next}'`);
  const parseDiagnostics = errors
    .map((error) => parseErrorDiagnostic(error, text, file, next))
    .filter((d) => !followsDroppedInput(lexed, d.span.start.offset));
  const limits: Diagnostic[] = [];
  const report = (message: string, span: Span) =>
    limits.push(diagnostic('NS0005', message, file, span));
  const ast = reportingTo(report, () => buildSpecFile(cst, file, text));
  const all = [
    ...lexed.diagnostics,
    ...parseDiagnostics,
    ...limits,
    ...torchHabits(ast, text, file),
  ];
  const comments = lexed.comments.map((token) => ({ text: token.image, span: tokenSpan(token) }));
  return { ast, diagnostics: sortByPosition(dropRepeats(all)), comments };
}

function nestedTooDeeply(text: string, file: string): ParseResult {
  return unparsed(text, file, 'NS0003', 'the file is nested too deeply to parse');
}

const count = (n: number) => n.toLocaleString('en-US');

function tooLarge(text: string, file: string): ParseResult {
  const message = `the file has ${count(text.length)} characters; a spec may have up to ${count(MAX_SPEC_CHARS)}`;
  return unparsed(text, file, 'NS0005', message);
}

function tooManyTokens(text: string, file: string, tokens: IToken[]): ParseResult {
  const message = `a declaration of ${count(tokens.length)} tokens (names, numbers, strings, symbols); a declaration may have up to ${count(MAX_PART_TOKENS)}`;
  return unparsed(text, file, 'NS0005', message, tokenSpan(tokens[MAX_PART_TOKENS]));
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
  next: string | undefined,
): Diagnostic {
  return diagnostic('NS0003', error.message, file, errorSpan(error, text, next));
}

/**
 * The offending token; the end of the input has no position: it is the end of the text, or
 * the keyword of the next declaration there.
 */
function errorSpan(error: IRecognitionException, text: string, next: string | undefined): Span {
  const token = error.token;
  if (!Number.isNaN(token.startOffset)) return tokenSpan(token);
  const end = endOfText(text);
  if (next === undefined) return emptySpanAt(end);
  return { start: end, end: { ...end, offset: end.offset + next.length, column: 1 + next.length } };
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
export { PYTORCH_FORM, applyEdits } from './habits.js';
export { ParseCache, splitChunks, type Chunk } from './chunks.js';

/** A token as an editor needs it: its text, the token type's name, where it starts. */
export interface ScannedToken {
  image: string;
  type: string;
  offset: number;
  line: number;
}

/** The tokens of a text (comments left out), for editors reading half-typed text. */
export function scanTokens(text: string): ScannedToken[] {
  return lex(text, '').tokens.map((t) => ({
    image: t.image,
    type: t.tokenType.name,
    offset: t.startOffset,
    line: t.startLine ?? 1,
  }));
}
export { forEachNode, type AnyNode } from './walk.js';
export { exprText } from './print-expr.js';
