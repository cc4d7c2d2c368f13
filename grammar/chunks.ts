// A file is parsed declaration by declaration: it is cut where a line begins with a declaration
// (`network N`, `import "f"` …, where the parser's bodies end anyway), and each part is parsed on
// its own. An editor re-parses only the part that changed: a `ParseCache` keeps each part's
// result by its text and moves it (shifts every position) when edits above it move the text.
import type { Position } from './diagnostics.js';

/** A part of a file: its text, where it starts, and the keyword of the part after it. */
export interface Chunk {
  text: string;
  offset: number;
  line: number;
  /** The declaration keyword that starts the next part (what this part's end is followed by). */
  next?: string;
}

const DECLARATION_START =
  /(?:import[ \t]*"|(?:dataset|network|block|transform|train|sweep)[ \t]+[A-Za-z_])/y;
// Line breaks as the lexer counts them.
const LINE_BREAK = /\r\n?|\n/g;

export function splitChunks(text: string): Chunk[] {
  const starts: { offset: number; line: number }[] = [{ offset: 0, line: 1 }];
  let line = 1;
  for (const match of text.matchAll(LINE_BREAK)) {
    line++;
    const offset = match.index + match[0].length;
    DECLARATION_START.lastIndex = offset;
    if (DECLARATION_START.test(text)) starts.push({ offset, line });
  }
  return starts.map((start, i) => {
    const end = starts[i + 1]?.offset ?? text.length;
    const chunk: Chunk = { text: text.slice(start.offset, end), ...start };
    const next = i + 1 < starts.length ? /^[a-z]+/.exec(text.slice(end))?.[0] : undefined;
    return next === undefined ? chunk : { ...chunk, next };
  });
}

/** Every position object reachable from `root`, once each (spans share their positions). */
export function positionsIn(root: unknown): Position[] {
  const found = new Set<Position>();
  const seen = new Set<object>();
  const visit = (value: unknown): void => {
    if (typeof value !== 'object' || value === null || seen.has(value)) return;
    seen.add(value);
    if (isPosition(value)) {
      found.add(value);
      return;
    }
    for (const child of Array.isArray(value) ? value : Object.values(value)) visit(child);
  };
  visit(root);
  return [...found];
}

function isPosition(value: object): value is Position {
  const p = value as Position;
  return typeof p.offset === 'number' && typeof p.line === 'number' && typeof p.column === 'number';
}

/** A parsed part, with the positions to move when the part moves, and where it is now. */
export interface Parsed<T> {
  result: T;
  positions: Position[];
  offset: number;
  line: number;
}

/**
 * Results of parts by their text, for one file: a part whose text (and the keyword after it) is
 * unchanged is reused and moved to where it now is. Parts the latest parse did not use are
 * forgotten.
 */
export class ParseCache<T> {
  private byText = new Map<string, Parsed<T>[]>();
  private used = new Map<string, Parsed<T>[]>();

  /** The result of a part with this text (and what follows it), moved to where it is, or undefined. */
  take(chunk: Chunk): T | undefined {
    const parsed = this.byText.get(key(chunk))?.pop();
    if (parsed === undefined) return undefined;
    move(parsed, chunk.offset, chunk.line);
    this.remember(key(chunk), parsed);
    return parsed.result;
  }

  /** Keeps a part's result, already placed by `place`. */
  put(chunk: Chunk, parsed: Parsed<T>): void {
    this.remember(key(chunk), parsed);
  }

  /** Ends one parse of the file: only the parts it used are kept for the next. */
  done(): void {
    this.byText = this.used;
    this.used = new Map();
  }

  private remember(text: string, parsed: Parsed<T>): void {
    const list = this.used.get(text) ?? [];
    list.push(parsed);
    this.used.set(text, list);
  }
}

/** A result computed from the part's text alone (positions from 0, line 1), moved to the part. */
export function place<T>(result: T, chunk: Chunk): Parsed<T> {
  const parsed = { result, positions: positionsIn(result), offset: 0, line: 1 };
  move(parsed, chunk.offset, chunk.line);
  return parsed;
}

/** A part's messages name what follows it (`found 'train'`), so that is part of its key. */
function key(chunk: Chunk): string {
  return `${chunk.next ?? ''}\n${chunk.text}`;
}

function move(parsed: Parsed<unknown>, offset: number, line: number): void {
  const dOffset = offset - parsed.offset;
  const dLine = line - parsed.line;
  if (dOffset === 0 && dLine === 0) return;
  for (const p of parsed.positions) {
    p.offset += dOffset;
    p.line += dLine;
  }
  parsed.offset = offset;
  parsed.line = line;
}
