// Loads a spec and everything it imports: `import "blocks.net"` is resolved relative to the
// importing file, each file is parsed once, and import cycles are reported at the import that
// closes them. Reading files is the caller's (a callback), so editors can supply unsaved text.
import { dirname, join } from 'node:path';
import type { Diagnostic, ParseResult, SpecFile } from '../../grammar/index.js';
import { diagnostic, parse } from '../../grammar/index.js';
import { CODES } from '../codes.js';

/** Why a file could not be read, in the host's words: `is a named pipe, not a regular file`. */
export interface Unreadable {
  problem: string;
}

/** Returns a file's text, or why it cannot be read (undefined: it cannot, for no given reason). */
export type ReadFile = (path: string) => string | Unreadable | undefined;

/** Parses one file; an editor passes one that reuses what it parsed before (grammar's ParseCache). */
export type ParseFile = (text: string, file: string) => ParseResult;

export interface Program {
  /** Every parsed file, the entry first, then imports in the order they were reached. */
  files: SpecFile[];
  /** Source text by file name, for printing diagnostics. */
  sources: Map<string, string>;
  diagnostics: Diagnostic[];
}

export function loadProgram(
  text: string,
  file: string,
  readFile?: ReadFile,
  parseFile: ParseFile = parse,
): Program {
  const program: Program = { files: [], sources: new Map(), diagnostics: [] };
  visit(program, file, text, [], { readFile, parseFile });
  return program;
}

interface Readers {
  readFile?: ReadFile;
  parseFile: ParseFile;
}

function visit(program: Program, file: string, text: string, stack: string[], readers: Readers) {
  program.sources.set(file, text);
  const parsed = readers.parseFile(text, file);
  program.files.push(parsed.ast);
  program.diagnostics.push(...parsed.diagnostics);
  for (const imp of parsed.ast.imports) {
    // join keeps a relative entry path relative, so messages name files as the user does.
    const target = join(dirname(file), imp.path.value);
    const span = imp.path.span;
    if ([...stack, file].includes(target) || target === file) {
      const cycle = [...stack, file, target].map((f) => f.split('/').pop()).join(' → ');
      program.diagnostics.push(
        diagnostic(CODES.importProblem, `import cycle: ${cycle}`, file, span),
      );
      continue;
    }
    if (program.sources.has(target)) continue; // already loaded through another import
    // Only specs are read: a message never shows a line of another file (`/etc/passwd`).
    const imported = target.endsWith('.net')
      ? readers.readFile?.(target)
      : { problem: 'not a .net spec' };
    if (typeof imported !== 'string') {
      const why = imported ? `${target}: ${imported.problem}` : `looked for ${target}`;
      program.diagnostics.push(
        diagnostic(
          CODES.importProblem,
          `cannot read imported file '${imp.path.value}' (${why})`,
          file,
          span,
        ),
      );
      continue;
    }
    visit(program, target, imported, [...stack, file], readers);
  }
}
