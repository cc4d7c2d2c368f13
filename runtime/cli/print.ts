// Prints diagnostics for people: `file:line:col: error CODE: message`, then the source line
// with carets under the span, then related notes.
import type { Diagnostic } from '../../compiler/index.js';

export function formatDiagnostic(d: Diagnostic, sources: ReadonlyMap<string, string>): string {
  const lines = [`${location(d.file, d.span.start)}: ${d.severity} ${d.code}: ${d.message}`];
  lines.push(...snippet(sources.get(d.file), linesOf(sources, d.file), d.span));
  for (const note of d.related) {
    lines.push(`${location(note.file, note.span.start)}: note: ${note.message}`);
    lines.push(...snippet(sources.get(note.file), linesOf(sources, note.file), note.span));
  }
  return lines.join('\n');
}

function location(file: string, start: { line: number; column: number }): string {
  return `${file}:${start.line}:${start.column}`;
}

/** Columns of a source line shown around a span: a minified or generated line stays short. */
const SNIPPET_WIDTH = 120;
const SNIPPET_BEFORE = 40;

function snippet(source: string | undefined, lines: LineIndex, span: Diagnostic['span']): string[] {
  if (source === undefined) return [];
  const line = span.start.line;
  if (line < 1 || line > lines.length) return [];
  const from = lines[line - 1];
  const to = line < lines.length ? lines[line] : source.length;
  const full = source.slice(from, to).replace(/(\r\n|\r|\n)$/, '');
  const end = span.end.line === line ? span.end.column : full.length + 1;
  // Long lines show a window around the span, marked with … where they were cut.
  const first = Math.max(
    0,
    Math.min(span.start.column - 1 - SNIPPET_BEFORE, full.length - SNIPPET_WIDTH),
  );
  const last = first + SNIPPET_WIDTH;
  const text = (first > 0 ? '…' : '') + full.slice(first, last) + (last < full.length ? '…' : '');
  const column = span.start.column - first + (first > 0 ? 1 : 0);
  const width = Math.max(1, Math.min(end - span.start.column, last - span.start.column + 1));
  const gutter = `${line} | `;
  const pad = ' '.repeat(gutter.length - 2) + '| ';
  return [`${gutter}${text}`, `${pad}${' '.repeat(column - 1)}${'^'.repeat(width)}`];
}

/** Where each line of a source starts (offsets), built once per source and reused. */
type LineIndex = readonly number[];

const lineIndexes = new WeakMap<ReadonlyMap<string, string>, Map<string, LineIndex>>();

function linesOf(sources: ReadonlyMap<string, string>, file: string): LineIndex {
  let byFile = lineIndexes.get(sources);
  if (!byFile) lineIndexes.set(sources, (byFile = new Map()));
  let index = byFile.get(file);
  if (!index) {
    const text = sources.get(file) ?? '';
    // Line breaks as the lexer counts them: \r\n, \r or \n.
    const starts = [0];
    for (const m of text.matchAll(/\r\n|\r|\n/g)) starts.push(m.index + m[0].length);
    byFile.set(file, (index = starts));
  }
  return index;
}

export function summary(diagnostics: readonly Diagnostic[]): string {
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.length - errors;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  return `${plural(errors, 'error')}${warnings ? `, ${plural(warnings, 'warning')}` : ''}`;
}
