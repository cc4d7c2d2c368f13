// The public entry point of the grammar: text in, AST and diagnostics out. Parsing never
// throws on user input; a broken file yields a partial AST and one diagnostic per mistake.
import type { IRecognitionException } from 'chevrotain';
import type { SpecFile } from './ast.js';
import { buildSpecFile } from './build-ast.js';
import { emptySpanAt, endOfText, tokenSpan } from './cst.js';
import { diagnostic, type Diagnostic, type Span } from './diagnostics.js';
import { torchHabits } from './habits.js';
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

function parseUnguarded(text: string, file: string): ParseResult {
  const lexed = lex(text, file);
  const { cst, errors } = parseTokens(lexed.tokens);
  const parseDiagnostics = errors
    .map((error) => parseErrorDiagnostic(error, text, file))
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
export { PYTORCH_FORM, applyEdits } from './habits.js';
export { forEachNode, type AnyNode } from './walk.js';
