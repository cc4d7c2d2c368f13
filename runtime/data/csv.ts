// A byte-level CSV reader for the seed's spreadsheets: unsigned integers separated by `,` `;`
// or tabs, LF or CRLF, optional header row, optional trailing newline, blank lines skipped
// (as pandas does). The file is read in chunks through one state machine, so the text never has
// to fit in memory at once, and nothing is decoded to strings except to report a problem.
import { CODES } from '../../compiler/index.js';
import { dropRead, rangesRead, readFirst, readRangesAhead } from '../files.js';
import type { RangesAhead } from '../files.js';
import { FloatRows } from './csv-float.js';
import { UserError } from '../errors.js';
import { headerLike, numberLike, unreadable } from './errors.js';
import { plural } from '../plural.js';

export interface CsvLayout {
  /** ',', ';', '\t' or 'auto'. */
  delimiter: string;
  header: boolean;
  /** Columns every row must have. */
  columns: number;
  /** The column (0-based) holding the label, or -1: every column is a pixel. */
  labelColumn: number;
  /** What the numbers are, for messages: "pixel", "label". */
  what: string;
  /** Largest allowed value of a non-label column (255 for uint8 pixels). */
  max: number;
  /** `float32`: pixels are decimal numbers, read by csv-float.ts and multiplied by `scale`. */
  float?: { scale: number };
}

export interface CsvTable {
  /**
   * Row-major values of the non-label columns (empty when they went to a sink); float pixels
   * already multiplied by their scale.
   */
  values: Uint8Array | Float32Array;
  labels: Int32Array;
  /** The file's line (1-based) of each row: blank lines make them differ from row numbers. */
  lines: Int32Array;
  rows: number;
}

const NL = 10;
const CR = 13;
const SPACE = 32;
const ZERO = 48;
const NINE = 57;
const CHUNK = 1 << 24;
/** How many bytes of rows a sink receives at a time. */
const SINK_BYTES = 1 << 22;

/** The header row's cells and the delimiter, from the first line of the file. */
export function sniff(path: string, delimiter: string): { delimiter: number; header: string[] } {
  const first = firstLine(path);
  const counts = [',', ';', '\t'].map((d) => [d, first.split(d).length - 1] as const);
  const chosen =
    delimiter !== 'auto' ? delimiter : counts.reduce((a, b) => (b[1] > a[1] ? b : a))[0];
  const header = first.split(chosen).map((cell) => cell.trim().replace(/^"(.*)"$/, '$1'));
  return { delimiter: chosen.charCodeAt(0), header };
}

function firstLine(path: string): string {
  let text: string;
  try {
    text = readFirst(path, 'stream', 1 << 20).toString('utf8');
  } catch (e) {
    throw unreadable(path, e);
  }
  return text
    .replace(/^\uFEFF/, '')
    .split('\n')[0]
    .replace(/\r$/, '');
}

/** The bytes of a read sent ahead, or a UserError saying what the file is instead. */
function taken(ahead: RangesAhead): Buffer {
  try {
    return rangesRead(ahead);
  } catch (e) {
    throw unreadable(ahead.path, e);
  }
}

/**
 * Parses a whole file. Each bad value or row throws a UserError naming path:row:column. With a
 * `sink`, the values of complete rows are handed to it a few megabytes at a time instead of
 * being kept (converting a spreadsheet larger than memory to a streamed cache); only the
 * labels are kept.
 */
export function readCsv(
  path: string,
  layout: CsvLayout,
  delimiter: number,
  sink?: (values: Uint8Array) => void,
): CsvTable {
  const parser = layout.float
    ? new FloatRows(path, layout, String.fromCharCode(delimiter), layout.float.scale)
    : new CsvParser(path, layout, delimiter, sink);
  // The next chunk is read while this one is parsed.
  let next: RangesAhead | undefined = readRangesAhead(path, 'stream', Float64Array.of(0, CHUNK));
  try {
    for (let at = 0; next;) {
      const current = next;
      next = undefined;
      const chunk = taken(current);
      if (chunk.length === 0) break;
      at += chunk.length;
      next = readRangesAhead(path, 'stream', Float64Array.of(at, CHUNK));
      parser.feed(chunk, chunk.length);
    }
  } finally {
    // A bad row ends the parse: the chunk asked for is still taken (the language server goes on).
    if (next) dropRead(next);
  }
  return parser.finish();
}

class CsvParser {
  private values: Uint8Array;
  private labels: Int32Array;
  private rows = 0;
  /** Rows already handed to the sink: `values` starts at this row. */
  private flushed = 0;
  private readonly flushRows: number;
  /** 1-based line number in the file, for messages. */
  private line = 1;
  private column = 0;
  private value = 0;
  private digits = 0;
  private pixel = 0;
  private rowHasContent = false;
  private skippingHeader: boolean;
  /** Before the first byte: a UTF-8 byte-order mark there is skipped. */
  private atStart = true;
  /** A value's digits were followed by a space: another digit would make `1 2` read as 12. */
  private closed = false;
  private lines: Int32Array;
  private readonly pixels: number;

  constructor(
    private path: string,
    private layout: CsvLayout,
    private delimiter: number,
    private sink?: (values: Uint8Array) => void,
  ) {
    this.pixels = layout.columns - (layout.labelColumn >= 0 ? 1 : 0);
    this.flushRows = sink ? Math.max(1, Math.floor(SINK_BYTES / Math.max(1, this.pixels))) : 0;
    this.values = new Uint8Array(Math.max(1, this.pixels) * (sink ? this.flushRows : 1024));
    this.labels = new Int32Array(1024);
    this.lines = new Int32Array(1024);
    this.skippingHeader = layout.header;
  }

  /**
   * The hot loop: one pass over the bytes, digits accumulated into the current value. State
   * lives in locals (written back at the end) and a plain pixel field is stored inline: this
   * is what makes it run at hundreds of MB/s rather than tens.
   */
  feed(bytes: Uint8Array, length: number): void {
    const delimiter = this.delimiter;
    const { labelColumn, max } = this.layout;
    let i = 0;
    if (this.atStart && length > 0) {
      this.atStart = false;
      if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) i = 3;
    }
    if (this.skippingHeader) {
      while (i < length && bytes[i] !== NL) i++;
      if (i === length) return;
      this.skippingHeader = false;
      this.line++;
      i++;
    }
    let value = this.value;
    let digits = this.digits;
    let column = this.column;
    let pixel = this.pixel;
    let base = (this.rows - this.flushed) * this.pixels;
    let values = this.values;
    let closed = this.closed;
    const pixels = this.pixels;
    const sync = () => {
      this.value = value;
      this.digits = digits;
      this.column = column;
      this.pixel = pixel;
      this.closed = closed;
    };
    for (; i < length; i++) {
      const c = bytes[i];
      if (c >= ZERO && c <= NINE) {
        if (closed) {
          sync();
          throw this.notInteger(bytes, i);
        }
        value = value * 10 + (c - ZERO);
        digits++;
      } else if (
        c === delimiter &&
        digits > 0 &&
        digits < 4 &&
        value <= max &&
        column !== labelColumn &&
        pixel < pixels
      ) {
        values[base + pixel++] = value;
        column++;
        value = 0;
        digits = 0;
        closed = false;
      } else if (c === delimiter || c === NL) {
        this.rowHasContent ||= column > 0 || digits > 0;
        sync();
        if (c === delimiter) this.endField(bytes, i);
        else {
          if (this.rowHasContent) this.endRow(bytes, i);
          this.line++;
        }
        ({ column, pixel, values } = this);
        base = (this.rows - this.flushed) * pixels;
        value = 0;
        digits = 0;
        closed = false;
        if (c === delimiter) this.rowHasContent = true;
      } else if (c === CR || c === SPACE) {
        closed = digits > 0;
      } else {
        sync();
        throw this.notInteger(bytes, i);
      }
    }
    sync();
    if (digits > 0 || column > 0) this.rowHasContent = true;
  }

  finish(): CsvTable {
    if (this.rowHasContent || this.digits > 0) this.endRow(new Uint8Array(0), 0);
    if (this.sink) {
      this.flush();
      return {
        values: new Uint8Array(0),
        labels: this.labels.subarray(0, this.rows),
        lines: this.lines.subarray(0, this.rows),
        rows: this.rows,
      };
    }
    return {
      values: this.values.subarray(0, this.rows * this.pixels),
      labels: this.labels.subarray(0, this.rows),
      lines: this.lines.subarray(0, this.rows),
      rows: this.rows,
    };
  }

  private endField(bytes: Uint8Array, at: number): void {
    const { layout } = this;
    if (this.digits === 0) throw this.fail('is empty; expected an integer', this.column);
    if (this.column === layout.labelColumn) {
      if (this.digits > 9)
        throw this.fail(`label ${this.field(bytes, at)} is too large`, this.column);
      this.labels[this.rows] = this.value;
    } else {
      if (this.value > layout.max || this.digits > 9)
        throw this.fail(
          `${layout.what} ${this.digits > 9 ? this.field(bytes, at) : this.value} is out of range 0–${layout.max}`,
          this.column,
        );
      if (this.pixel < this.pixels)
        this.values[(this.rows - this.flushed) * this.pixels + this.pixel] = this.value;
      this.pixel++;
    }
    this.column++;
    this.value = 0;
    this.digits = 0;
  }

  private endRow(bytes: Uint8Array, at: number): void {
    this.endField(bytes, at);
    if (this.column !== this.layout.columns) {
      const message = `row has ${plural(this.column, 'column')}, expected ${this.layout.columns}`;
      throw new UserError(CODES.dataFormat, `${this.path}:${this.line}: ${message}`);
    }
    this.lines[this.rows] = this.line;
    this.rows++;
    if (this.sink && this.rows - this.flushed >= this.flushRows) this.flush();
    // Room for the next row before its first pixel: the hot loop writes without checking.
    if (this.rows >= this.labels.length) this.growLabels();
    if ((this.rows - this.flushed + 1) * this.pixels > this.values.length) this.growValues();
    this.column = 0;
    this.pixel = 0;
    this.rowHasContent = false;
  }

  private growValues(): void {
    const values = new Uint8Array(this.values.length * 2);
    values.set(this.values);
    this.values = values;
  }

  private growLabels(): void {
    const grow = (array: Int32Array) => {
      const grown = new Int32Array(array.length * 2);
      grown.set(array);
      return grown;
    };
    this.labels = grow(this.labels);
    this.lines = grow(this.lines);
  }

  private flush(): void {
    const rows = this.rows - this.flushed;
    if (rows > 0) this.sink!(this.values.subarray(0, rows * this.pixels));
    this.flushed = this.rows;
  }

  private notInteger(bytes: Uint8Array, at: number): UserError {
    const what = this.column === this.layout.labelColumn ? 'label' : this.layout.what;
    const field = this.field(bytes, at);
    const hint = this.hint(field);
    if (numberLike(field) || (this.line === 1 && headerLike(field)))
      return this.fail(`${what} '${field}' is not an integer${hint}`, this.column);
    return this.fail(
      `${what} is not an integer (found text that is not a number)${hint}`,
      this.column,
    );
  }

  /**
   * What a cell that is not an integer most likely means: a header on the first line, or
   * float pixels (which the source must declare).
   */
  private hint(field: string): string {
    if (this.line === 1 && !this.layout.header && !/^[\d.eE+-]+$/.test(field))
      return '; if the first row is a header, add `header: true`';
    if (this.layout.what === 'pixel' && Number.isFinite(Number(field)))
      return '; for decimal pixels, give the source `dtype: float32` (and the `scale` that maps them to [0, 1])';
    return '';
  }

  /** The text of the field around byte `at`, for messages. */
  private field(bytes: Uint8Array, at: number): string {
    let start = at;
    while (start > 0 && ![this.delimiter, NL].includes(bytes[start - 1])) start--;
    let end = at;
    while (end < bytes.length && ![this.delimiter, NL, CR].includes(bytes[end])) end++;
    return Buffer.from(bytes.subarray(start, Math.min(end, start + 40)))
      .toString('utf8')
      .trim();
  }

  private fail(message: string, column: number): UserError {
    return new UserError(CODES.dataFormat, `${this.path}:${this.line}:${column + 1}: ${message}`);
  }
}
