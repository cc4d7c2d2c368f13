// Diagnostics are data: every user mistake found by the parser, the checker or the runtime's
// data loaders becomes one of these, never an exception. The CLI, `check --json` and the
// language server all print the same objects.

/** A position in a source file. `line` and `column` are 1-based; `offset` is 0-based. */
export interface Position {
  offset: number;
  line: number;
  column: number;
}

/** A half-open range [start, end) of a source file. */
export interface Span {
  start: Position;
  end: Position;
}

export type Severity = 'error' | 'warning' | 'info';

/** A secondary location that explains a diagnostic ("declared here"). */
export interface RelatedNote {
  message: string;
  file: string;
  span: Span;
}

/** Replace the text of `span` (in the diagnostic's file) with `text`. */
export interface Edit {
  span: Span;
  text: string;
}

/** A change that resolves a diagnostic: an editor offers it as a quick fix. */
export interface Fix {
  title: string;
  edits: Edit[];
}

export interface Diagnostic {
  /** Stable code, e.g. `NS1001`; see docs/diagnostics.md. */
  code: string;
  severity: Severity;
  message: string;
  file: string;
  span: Span;
  related: RelatedNote[];
  /** Ways to resolve it, when netspec knows them (a did-you-mean, PyTorch's spelling). */
  fixes?: Fix[];
}

export function diagnostic(
  code: string,
  message: string,
  file: string,
  span: Span,
  related: RelatedNote[] = [],
  severity: Severity = 'error',
): Diagnostic {
  return { code, severity, message, file, span, related };
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** The span of a whole file's first character, for diagnostics that belong to no construct. */
export const FILE_START: Span = {
  start: { offset: 0, line: 1, column: 1 },
  end: { offset: 0, line: 1, column: 1 },
};

/** The diagnostic with one more fix. */
export function withFix(d: Diagnostic, title: string, edits: Edit[]): Diagnostic {
  return { ...d, fixes: [...(d.fixes ?? []), { title, edits }] };
}
