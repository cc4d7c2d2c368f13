// Prints diagnostics for people: `file:line:col: error CODE: message`, then the source line
// with carets under the span, then related notes.
import type { Diagnostic } from '../../compiler/index.js';

export function formatDiagnostic(d: Diagnostic, sources: ReadonlyMap<string, string>): string {
  const lines = [`${location(d.file, d.span.start)}: ${d.severity} ${d.code}: ${d.message}`];
  lines.push(...snippet(sources.get(d.file), d.span));
  for (const note of d.related) {
    lines.push(`${location(note.file, note.span.start)}: note: ${note.message}`);
    lines.push(...snippet(sources.get(note.file), note.span));
  }
  return lines.join('\n');
}

function location(file: string, start: { line: number; column: number }): string {
  return `${file}:${start.line}:${start.column}`;
}

function snippet(source: string | undefined, span: Diagnostic['span']): string[] {
  if (source === undefined) return [];
  const text = source.split(/\r?\n/)[span.start.line - 1];
  if (text === undefined) return [];
  const gutter = `${span.start.line} | `;
  const end = span.end.line === span.start.line ? span.end.column : text.length + 1;
  const width = Math.max(1, end - span.start.column);
  const pad = ' '.repeat(gutter.length - 2) + '| ';
  return [`${gutter}${text}`, `${pad}${' '.repeat(span.start.column - 1)}${'^'.repeat(width)}`];
}

export function summary(diagnostics: readonly Diagnostic[]): string {
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.length - errors;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  return `${plural(errors, 'error')}${warnings ? `, ${plural(warnings, 'warning')}` : ''}`;
}
