// The public entry point of the grammar: text in, AST and diagnostics out. Parsing never
// throws on user input; a broken file yields a partial AST and one diagnostic per mistake.
import type { IRecognitionException } from 'chevrotain';
import type { SpecFile } from './ast.js';
import { buildSpecFile } from './build-ast.js';
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

function parseUnguarded(text: string, file: string, next: string | undefined): ParseResult {
  const lexed = lex(text, file);
  const { cst, errors } = parseTokens(lexed.tokens, next === undefined ? undefined : `'${next}'`);
  const parseDiagnostics = errors
    .map((error) => parseErrorDiagnostic(error, text, file, next))
    .filter((d) => !followsDroppedInput(lexed, d.span.start.offset));
  const ast = buildSpecFile(cst, file, text);
  const all = [...lexed.diagnostics, ...parseDiagnostics, ...torchHabits(ast, text, file)];
  const comments = lexed.comments.map((token) => ({ text: token.image, span: tokenSpan(token) }));
  return { ast, diagnostics: sortByPosition(dropRepeats(all)), comments };
}

function nestedTooDeeply(text: string, file: string): ParseResult {
  const span = { start: { offset: 0, line: 1, column: 1 }, end: endOfText(text) };
  const ast: SpecFile = { kind: 'File', file, imports: [], declarations: [], span };
  const message = 'the file is nested too deeply to parse';
  return { ast, diagnostics: [diagnostic('NS0003', message, file, span)], comments: [] };
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
