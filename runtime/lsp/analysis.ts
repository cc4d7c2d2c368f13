// One analysis per document version: its parse (declarations, comments, syntax diagnostics), the
// checked spec with every file it imports (layers, shapes, parameters), and the diagnostics of
// this file. Files are read through the workspace, which remembers what it parsed and read.
import type { CheckResult, Diagnostic } from '../../compiler/index.js';
import { checkSpec, CODES, diagnostic } from '../../compiler/index.js';
import type { Declaration, ParseResult, SpecFile } from '../../grammar/index.js';
import type { Workspace } from './workspace.js';

export interface Analysis {
  uri: string;
  text: string;
  file: string;
  parsed: ParseResult;
  checked: CheckResult | undefined;
  /** Diagnostics of this file only (those of imported files belong to those files). */
  diagnostics: Diagnostic[];
}

/**
 * A document the editor sent with NUL characters or replacement characters (bytes that were
 * not UTF-8) is not a spec: one diagnostic, nothing parsed.
 */
const isText = (text: string) => !text.includes('\u0000') && !text.includes('\uFFFD');

export function analyze(workspace: Workspace, text: string, uri: string): Analysis {
  const file = workspace.fileOf(uri);
  if (!isText(text)) return notText(uri, text, file);
  workspace.readingFor(file);
  const parsed = workspace.parseFile(text, file);
  let checked: CheckResult | undefined;
  try {
    checked = checkSpec(text, file, workspace.readText, workspace.readBinary, workspace.parseFile);
  } catch (error) {
    // A checker bug must not take the editor down: keep the syntax diagnostics and say so.
    const message = `internal error in the checker: ${(error as Error).message}`;
    const start = { offset: 0, line: 1, column: 1 };
    const internal = diagnostic('NS9999', message, file, { start, end: start });
    return { uri, text, file, parsed, checked, diagnostics: [...parsed.diagnostics, internal] };
  }
  const diagnostics = checked.diagnostics.filter((d) => d.file === file);
  return { uri, text, file, parsed, checked, diagnostics };
}

function notText(uri: string, text: string, file: string): Analysis {
  const start = { offset: 0, line: 1, column: 1 };
  const span = { start, end: start };
  const ast: SpecFile = { kind: 'File', file, imports: [], declarations: [], span };
  const message = 'not a text file: it holds NUL characters or bytes that are not UTF-8';
  const diagnostics = [diagnostic(CODES.unexpectedCharacter, message, file, span)];
  const parsed: ParseResult = { ast, diagnostics, comments: [] };
  return { uri, text, file, parsed, checked: undefined, diagnostics };
}

/** Every parsed file of the analysis: this one first, then what it imports. */
export function filesOf(analysis: Analysis): SpecFile[] {
  return analysis.checked?.files ?? [analysis.parsed.ast];
}

/** A declaration and the file it is written in. */
export interface Declared {
  decl: Declaration;
  file: string;
}

/** Every declaration this file can name: its own and its imports'. */
export function declarations(analysis: Analysis): Declared[] {
  return filesOf(analysis).flatMap((ast) =>
    ast.declarations.map((decl) => ({ decl, file: ast.file })),
  );
}

/** The declaration named `name` this file can refer to, if any. */
export function declarationNamed(analysis: Analysis, name: string): Declared | undefined {
  return declarations(analysis).find((d) => d.decl.name.name === name);
}

export const DECLARATION_WORDS: Record<Declaration['kind'], string> = {
  Dataset: 'dataset',
  Network: 'network',
  OnnxNetwork: 'network (imported from ONNX)',
  Block: 'block',
  Transform: 'transform',
  Train: 'train recipe',
  Sweep: 'sweep',
};
