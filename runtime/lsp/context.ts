// Where the cursor is, read from the text before it (a document being typed rarely parses): in
// which kind of declaration, in which statement, and whether it is in a call's arguments, after
// `->`, after `setting =` or after the options' comma. Completion and signature help start here.
import { scanTokens, splitChunks, type ScannedToken } from '../../grammar/index.js';

/** The kind of declaration a body belongs to; `onnx` is a network imported from ONNX. */
export type BlockKind = 'dataset' | 'network' | 'block' | 'transform' | 'train' | 'onnx' | 'sweep';

export type CursorContext =
  /** Outside every declaration: a declaration keyword is next. */
  | { kind: 'top' }
  /** The start of a statement in a body. */
  | { kind: 'statement'; block: BlockKind; declaration: string }
  /** After `->`, `with` or `insert`: a layer (or block) is next. */
  | { kind: 'stage'; block: BlockKind; declaration: string }
  /** After `setting =` in a train block or a dataset. */
  | { kind: 'value'; block: BlockKind; declaration: string; setting: string }
  /** After `setting = value,`: one of the setting's options is next (its value, after `name:`). */
  | {
      kind: 'options';
      block: BlockKind;
      declaration: string;
      setting: string;
      given: string[];
      valueFor?: string;
    }
  /** In the parentheses of a call: `index` counts commas, `given` the arguments written by name. */
  | {
      kind: 'arguments';
      block: BlockKind;
      declaration: string;
      callee: string;
      index: number;
      given: string[];
      /** After `name:`: the value of that argument is next. */
      valueFor?: string;
      /** The setting the call is the value of, in a train block or a dataset. */
      setting?: string;
    }
  /** In `stop when …`: a stop quantity is next. */
  | { kind: 'quantity' }
  /** A module path of a network is next (surgery, `unfreeze … after`); `options` after a comma. */
  | { kind: 'modules'; block: BlockKind; declaration: string; options?: 'freeze' | 'replace' }
  | { kind: 'none' };

const HEADER =
  /^(dataset|network|block|transform|train|sweep)[ \t]+([A-Za-z_][A-Za-z0-9_]*)(?:[ \t]*=[ \t]*onnx\b)?/;
/** A statement goes on after a line break that follows one of these … */
const CONTINUES = new Set([
  '->',
  ',',
  '=',
  ':',
  '+',
  '-',
  '*',
  '/',
  '==',
  '!=',
  '<',
  '<=',
  '>',
  '>=',
]);
const CONTINUES_WORDS = new Set(['and', 'or', 'not', 'with', 'after', 'when', 'every', 'as']);
/** … or before one of these. */
const CONTINUED_BY = new Set(['->', 'as', 'with', 'after', 'and', 'or', 'every', '+', '*', '/']);

interface Frame {
  open: '{' | '(' | '[';
  /** The name before `(`. */
  callee?: string;
  /** Tokens at this frame's depth; a nested group appears as its opener and closer. */
  tokens: ScannedToken[];
}

/** The identifier the cursor is in or just after starts here. */
export function wordStart(text: string, offset: number): number {
  let start = offset;
  while (start > 0 && /[A-Za-z0-9_.*]/.test(text[start - 1])) start--;
  return start;
}

export function contextAt(text: string, offset: number): CursorContext {
  const chunks = splitChunks(text);
  const chunk = [...chunks].reverse().find((c) => c.offset <= offset) ?? chunks[0];
  const header = HEADER.exec(chunk.text);
  const before = text.slice(chunk.offset, wordStart(text, offset));
  if (header === null) return { kind: 'top' };
  const block: BlockKind = header[0].endsWith('onnx') ? 'onnx' : (header[1] as BlockKind);
  const declaration = header[2];
  const frames = framesOf(scanTokens(before));
  const cursorLine = before.split(/\r\n?|\n/).length;
  const inner = frames[frames.length - 1];
  if (inner === undefined) return frames.closed ? { kind: 'top' } : { kind: 'none' };
  const body = frames.find((f) => f.open === '{');
  const statement = body ? currentStatement(body.tokens, cursorLine) : [];
  const setting = settingOf(statement, block);
  // A network's or block's own parameter list is not a call.
  if (body === undefined && block !== 'onnx') return { kind: 'none' };
  if (inner.open === '(' && inner.callee !== undefined) {
    return { ...argumentsContext(inner, block, declaration), ...(setting ? { setting } : {}) };
  }
  if (inner.open === '[') {
    return setting && frames.length === 2
      ? { kind: 'value', block, declaration, setting }
      : { kind: 'none' };
  }
  if (inner.open !== '{') return { kind: 'none' };
  return statementContext(currentStatement(inner.tokens, cursorLine), block, declaration);
}

/** The open brackets at the end of the tokens, outermost first; `closed`: a body was closed. */
function framesOf(tokens: ScannedToken[]): Frame[] & { closed?: boolean } {
  const frames: Frame[] & { closed?: boolean } = [];
  const header: ScannedToken[] = [];
  const current = () => frames[frames.length - 1]?.tokens ?? header;
  for (const t of tokens) {
    if (t.image === '{' || t.image === '(' || t.image === '[') {
      const previous = current().at(-1);
      current().push(t);
      const named = previous && /^(Identifier|DottedPath)$/.test(previous.type);
      const callee = t.image === '(' && named ? previous.image.split('.').pop() : undefined;
      frames.push({ open: t.image, callee, tokens: [] });
    } else if (t.image === '}' || t.image === ')' || t.image === ']') {
      frames.pop();
      if (frames.length === 0 && t.image === '}') frames.closed = true;
      current().push(t);
    } else current().push(t);
  }
  return frames;
}

/**
 * The tokens of the statement the cursor (on `cursorLine`) is in: those after the last statement
 * boundary, none when the cursor starts a new line.
 */
function currentStatement(tokens: ScannedToken[], cursorLine: number): ScannedToken[] {
  const boundary = (previous: ScannedToken, line: number, image?: string) =>
    line !== previous.line &&
    !CONTINUES.has(previous.image) &&
    !CONTINUES_WORDS.has(previous.image) &&
    !(image !== undefined && CONTINUED_BY.has(image));
  const last = tokens.at(-1);
  if (last === undefined || boundary(last, cursorLine)) return [];
  let start = 0;
  for (let i = 1; i < tokens.length; i++) {
    if (boundary(tokens[i - 1], tokens[i].line, tokens[i].image)) start = i;
  }
  return tokens.slice(start);
}

/** `setting` of a `setting = …` statement in a train block or a dataset (a sweep: its key). */
function settingOf(statement: ScannedToken[], block: BlockKind): string | undefined {
  if (block !== 'train' && block !== 'dataset' && block !== 'sweep') return undefined;
  return statement[1]?.image === '=' ? statement[0].image : undefined;
}

function argumentsContext(frame: Frame, block: BlockKind, declaration: string): CursorContext {
  const tokens = frame.tokens;
  const given: string[] = [];
  for (let i = 0; i + 1 < tokens.length; i++) {
    const named = tokens[i + 1].image === ':' || tokens[i + 1].image === '=';
    if (named && (i === 0 || tokens[i - 1].image === ',')) given.push(tokens[i].image);
  }
  const index = tokens.filter((t) => t.image === ',').length;
  const last = tokens.at(-1);
  const valueFor =
    last && (last.image === ':' || last.image === '=') ? tokens.at(-2)?.image : undefined;
  return {
    kind: 'arguments',
    block,
    declaration,
    callee: frame.callee!,
    index,
    given,
    ...(valueFor ? { valueFor } : {}),
  };
}

function statementContext(
  statement: ScannedToken[],
  block: BlockKind,
  declaration: string,
): CursorContext {
  const words = statement.map((t) => t.image);
  const last = words.at(-1);
  const at = { block, declaration };
  if (words.length === 0) return { kind: 'statement', ...at };
  if (last === '->') return { kind: 'stage', ...at };
  if (block === 'onnx') return surgeryContext(words, at);
  if (block === 'train' && words[0] === 'stop') return { kind: 'quantity' };
  if (block === 'train' && words[0] === 'unfreeze' && !words.includes('after'))
    return { kind: 'modules', ...at };
  if (block === 'sweep')
    return words[1] === '=' && words.length === 2
      ? { kind: 'value', ...at, setting: words[0] }
      : { kind: 'none' };
  if ((block === 'train' || block === 'dataset') && words[1] === '=') {
    const setting = words[0];
    const comma = words.indexOf(',');
    if (comma < 0) return words.length === 2 ? { kind: 'value', ...at, setting } : { kind: 'none' };
    const given = words.filter((w, i) => words[i + 1] === ':' || words[i + 1] === '=').slice(1);
    if (last === ',') return { kind: 'options', ...at, setting, given };
    const named = last === ':' || last === '=';
    return named
      ? { kind: 'options', ...at, setting, given, valueFor: words[words.length - 2] }
      : { kind: 'none' };
  }
  if ((block === 'network' || block === 'block') && (last === '=' || last === 'output'))
    return { kind: 'statement', ...at };
  return { kind: 'none' };
}

function surgeryContext(
  words: string[],
  at: { block: BlockKind; declaration: string },
): CursorContext {
  const [first] = words;
  const last = words.at(-1);
  if (first === 'freeze' || first === 'unfreeze' || first === 'remove') {
    if (words.length === 1) return { kind: 'modules', ...at };
    if (last === ',' && first !== 'remove')
      return { kind: 'modules', ...at, ...(first === 'freeze' ? { options: 'freeze' } : {}) };
    return { kind: 'none' };
  }
  if (first === 'replace') {
    if (words.length === 1) return { kind: 'modules', ...at };
    if (last === 'with') return { kind: 'stage', ...at };
    if (last === ',' && words.includes('with'))
      return { kind: 'modules', ...at, options: 'replace' };
    return { kind: 'none' };
  }
  if (first === 'insert') {
    if (words.length === 1) return { kind: 'stage', ...at };
    if (last === 'after') return { kind: 'modules', ...at };
  }
  return { kind: 'none' };
}
