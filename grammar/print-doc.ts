// The formatter's building blocks: a printed fragment is a list of lines, each with an indent
// (in levels, relative to where the fragment is placed) and the source offset of its first
// token (its anchor, which is how comments find their line again). `cat` glues fragments
// the way text flows: the next fragment's first line continues the previous fragment's last.

export interface Line {
  indent: number;
  text: string;
  /** Source offset of the first token printed on this line; -1 for a blank line. */
  anchor: number;
}

export type Doc = Line[];

export function text(value: string, anchor: number): Doc {
  return [{ indent: 0, text: value, anchor }];
}

/** Joins fragments; a plain string continues the current line. */
export function cat(...parts: (Doc | string)[]): Doc {
  const out: Doc = [];
  for (const part of parts) {
    const doc = typeof part === 'string' ? text(part, -1) : part;
    if (out.length === 0) {
      out.push(...doc.map((line) => ({ ...line })));
      continue;
    }
    const last = out[out.length - 1];
    last.text += doc[0].text;
    if (last.anchor < 0) last.anchor = doc[0].anchor;
    out.push(...doc.slice(1).map((line) => ({ ...line })));
  }
  return out;
}

/** `a, b, c` */
export function join(docs: Doc[], separator: string): Doc {
  const parts: (Doc | string)[] = [];
  docs.forEach((doc, index) => parts.push(...(index === 0 ? [doc] : [separator, doc])));
  return parts.length === 0 ? text('', -1) : cat(...parts);
}

export function indented(doc: Doc, levels: number): Doc {
  return doc.map((line) => ({ ...line, indent: line.indent + levels }));
}

export function isFlat(doc: Doc): boolean {
  return doc.length === 1;
}
