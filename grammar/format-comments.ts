// Puts comments back into printed lines. A comment after code on its source line is a trailing
// comment: it goes at the end of the printed line holding that code. Any other comment goes on
// its own line above the first printed line whose code follows it. Blank lines around an
// own-line comment are kept (one at most), so file headers stay apart from the first
// declaration. Both rules depend only on the order of code and comments, so formatting twice
// gives the same text.
import type { Comment } from './index.js';
import type { Line } from './print-doc.js';

interface Insertion {
  before: number;
  lines: Line[];
}

export function placeComments(lines: Line[], comments: Comment[], source: string): Line[] {
  const out = lines.map((line) => ({ ...line }));
  const insertions: Insertion[] = [];
  const withTrailing = new Set<number>();
  for (const comment of comments) {
    const offset = comment.span.start.offset;
    const body = comment.text.trimEnd();
    const code = lastCodeOnLine(source, offset);
    const holder = code === undefined ? -1 : lastLineAnchoredAtOrBefore(out, code);
    if (holder >= 0 && !withTrailing.has(holder)) {
      out[holder].text += `  ${body}`;
      withTrailing.add(holder);
      continue;
    }
    // A second trailing comment for the same printed line goes on its own line below it.
    const before = holder >= 0 ? holder + 1 : firstLineAnchoredAfter(out, offset);
    const blankBefore = holder < 0 && blankLineBefore(source, offset);
    const blankAfter = holder < 0 && blankLineAfter(source, comment.span.end.offset);
    insertions.push({ before, lines: commentLines(body, blankBefore, blankAfter) });
  }
  return applyInsertions(out, insertions);
}

function commentLines(body: string, blankBefore: boolean, blankAfter: boolean): Line[] {
  const blank = { indent: 0, text: '', anchor: -1 };
  const comment = { indent: 0, text: body, anchor: -1 };
  return [...(blankBefore ? [blank] : []), comment, ...(blankAfter ? [blank] : [])];
}

/** Inserts comment lines (in source order), indented like the code that follows them. */
function applyInsertions(lines: Line[], insertions: Insertion[]): Line[] {
  const result: Line[] = [];
  let next = 0;
  const flushUntil = (index: number) => {
    while (next < index) result.push(lines[next++]);
  };
  for (const insertion of insertions) {
    flushUntil(insertion.before);
    const indent = indentBefore(lines, insertion.before);
    insertion.lines.forEach((line, index) => {
      if (line.text !== '') {
        result.push({ ...line, indent });
        return;
      }
      const previous = result[result.length - 1];
      const after = index > 0;
      const following = lines[insertion.before];
      // Never two blank lines, nor one at the top, after `{`, before `}` or at the end.
      if (!previous || previous.text === '' || previous.text.endsWith('{')) return;
      if (after && (following === undefined || isCloser(following))) return;
      result.push(line);
    });
  }
  flushUntil(lines.length);
  return result;
}

/** Comments above a line take its indent; above a closing bracket, the indent of the body. */
function indentBefore(lines: Line[], index: number): number {
  const line = lines.slice(index).find((l) => l.text !== '');
  if (line === undefined) return 0;
  return isCloser(line) ? line.indent + 1 : line.indent;
}

function isCloser(line: Line): boolean {
  return /^[)\]}]/.test(line.text);
}

/** The offset of the last non-blank character before `offset` on the same line, if any. */
function lastCodeOnLine(source: string, offset: number): number | undefined {
  for (let i = offset - 1; i >= 0; i--) {
    const ch = source[i];
    if (ch === '\n' || ch === '\r') return undefined;
    if (ch !== ' ' && ch !== '\t') return i;
  }
  return undefined;
}

function lastLineAnchoredAtOrBefore(lines: Line[], offset: number): number {
  let found = -1;
  lines.forEach((line, index) => {
    if (line.anchor >= 0 && line.anchor <= offset) found = index;
  });
  return found;
}

function firstLineAnchoredAfter(lines: Line[], offset: number): number {
  const index = lines.findIndex((line) => line.anchor > offset);
  return index < 0 ? lines.length : index;
}

function blankLineBefore(source: string, offset: number): boolean {
  const before = source.slice(0, offset).match(/\n[ \t\r]*\n[ \t]*$/);
  return before !== null && source.slice(0, offset).trim() !== '';
}

function blankLineAfter(source: string, end: number): boolean {
  const after = source.slice(end).match(/^[ \t\r]*\n[ \t\r]*\n/);
  return after !== null && source.slice(end).trim() !== '';
}
