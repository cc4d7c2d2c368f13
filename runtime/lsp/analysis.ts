// One analysis per open document: the syntax tree (for declarations and names) and the checked
// spec (for layers, shapes and parameters), both from the compiler's public entry point.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CheckResult, Diagnostic } from '../../compiler/index.js';
import { checkSpec, diagnostic } from '../../compiler/index.js';
import { parse, type Declaration, type SpecFile } from '../../grammar/index.js';

export interface Analysis {
  text: string;
  file: string;
  ast: SpecFile;
  checked: CheckResult | undefined;
  /** Diagnostics of this file only (those of imported files belong to those files). */
  diagnostics: Diagnostic[];
}

export function fileOf(uri: string): string {
  return uri.startsWith('file:') ? fileURLToPath(uri) : uri;
}

function readImport(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function readBinary(path: string): Uint8Array | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

export function analyze(text: string, uri: string): Analysis {
  const file = fileOf(uri);
  const { ast, diagnostics: syntax } = parse(text, file);
  let checked: CheckResult | undefined;
  try {
    checked = checkSpec(text, file, readImport, readBinary);
  } catch (error) {
    // A checker bug must not take the editor down: keep the syntax diagnostics and say so.
    const message = `internal error in the checker: ${(error as Error).message}`;
    const start = { offset: 0, line: 1, column: 1 };
    const internal = diagnostic('NS9999', message, file, { start, end: start });
    return { text, file, ast, checked, diagnostics: [...syntax, internal] };
  }
  const diagnostics = checked.diagnostics.filter((d) => d.file === file);
  return { text, file, ast, checked, diagnostics };
}

/** Declarations that other declarations refer to by name. */
export function declarationNamed(analysis: Analysis, name: string): Declaration | undefined {
  return analysis.ast.declarations.find((d) => d.name.name === name);
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
