// Spreadsheets of float pixels (`csv(…, dtype: float32, scale: 1)`): a row per image, cells
// such as `0.0000`, `.5`, `1e-3`. Rows are decoded as text one line at a time — float cells are
// text anyway, and these files are rarer than the uint8 ones csv.ts reads at full speed. Each
// value times `scale` must lie in [0, 1], the range a network's input expects from ToTensor.
import { CODES } from '../../compiler/index.js';
import type { CsvLayout } from './csv.js';
import { UserError } from '../errors.js';
import { headerLike, numberLike } from './errors.js';
import { plural } from '../plural.js';

export interface FloatTable {
  /** Row-major pixel values after `scale`. */
  values: Float32Array;
  labels: Int32Array;
  /** Each row's line in the file (blank lines make lines and rows differ). */
  lines: Int32Array;
  rows: number;
}

const NL = 10;

/** A cell as messages show it: quoted when it looks like a number or a column name (csv.ts). */
const quoted = (cell: string, line: number) =>
  numberLike(cell) || (line === 1 && headerLike(cell)) ? `'${cell}' ` : '';

/** Parses float rows fed as byte chunks; the labels column (if any) holds whole numbers. */
export class FloatRows {
  private values: Float32Array;
  private labels = new Int32Array(1024);
  private lines = new Int32Array(1024);
  private rows = 0;
  private line = 0;
  /** Bytes of a line that began in an earlier chunk. */
  private pending: Buffer[] = [];
  private readonly pixels: number;
  private readonly text = new TextDecoder();

  constructor(
    private path: string,
    private layout: CsvLayout,
    private delimiter: string,
    private scale: number,
  ) {
    this.pixels = layout.columns - (layout.labelColumn >= 0 ? 1 : 0);
    this.values = new Float32Array(this.pixels * 1024);
  }

  feed(bytes: Uint8Array, length: number): void {
    let start = 0;
    for (let i = 0; i < length; i++) {
      if (bytes[i] !== NL) continue;
      this.pending.push(Buffer.from(bytes.subarray(start, i)));
      this.endLine();
      start = i + 1;
    }
    if (start < length) this.pending.push(Buffer.from(bytes.subarray(start, length)));
  }

  finish(): FloatTable {
    if (this.pending.length > 0) this.endLine();
    return {
      values: this.values.subarray(0, this.rows * this.pixels),
      labels: this.labels.subarray(0, this.rows),
      lines: this.lines.subarray(0, this.rows),
      rows: this.rows,
    };
  }

  private endLine(): void {
    const line = this.text.decode(Buffer.concat(this.pending)).replace(/\r$/, '');
    this.pending = [];
    this.line++;
    if (this.line === 1 && this.layout.header) return;
    if (line.trim() === '') return; // blank lines are skipped, as pandas does
    this.row(line.split(this.delimiter));
  }

  private row(cells: string[]): void {
    const { columns, labelColumn } = this.layout;
    if (cells.length !== columns)
      throw this.fail(`row has ${plural(cells.length, 'column')}, expected ${columns}`);
    this.grow();
    let pixel = this.rows * this.pixels;
    cells.forEach((cell, column) => {
      const text = cell.trim();
      const value = text === '' ? NaN : Number(text);
      if (column === labelColumn) {
        if (!Number.isInteger(value) || value < 0)
          throw this.fail(`label ${quoted(text, this.line)}is not a class index (0, 1, …)`, column);
        this.labels[this.rows] = value;
        return;
      }
      if (!Number.isFinite(value))
        throw this.fail(
          `pixel ${quoted(text, this.line)}is not a number${this.headerHint()}`,
          column,
        );
      const scaled = value * this.scale;
      if (!(scaled >= 0 && scaled <= 1))
        throw this.fail(
          `pixel ${text} × scale ${this.scale} = ${scaled} is outside [0, 1], the range the network's input expects`,
          column,
        );
      this.values[pixel++] = scaled;
    });
    this.lines[this.rows] = this.line;
    this.rows++;
  }

  /** On the first line, a cell that is not a number is most likely a header's. */
  private headerHint(): string {
    return this.line === 1 && !this.layout.header
      ? '; if the first row is a header, add `header: true`'
      : '';
  }

  private grow(): void {
    if (this.rows < this.labels.length) return;
    const grown = (array: Int32Array) => {
      const copy = new Int32Array(array.length * 2);
      copy.set(array);
      return copy;
    };
    const values = new Float32Array(this.values.length * 2);
    values.set(this.values);
    [this.labels, this.lines, this.values] = [grown(this.labels), grown(this.lines), values];
  }

  private fail(message: string, column?: number): UserError {
    const where = column === undefined ? `${this.line}` : `${this.line}:${column + 1}`;
    return new UserError(CODES.dataFormat, `${this.path}:${where}: ${message}`);
  }
}
