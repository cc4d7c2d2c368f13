// The language server's input, checked message by message before vscode-jsonrpc reads it:
// each message must start with headers that end in a blank line and give a numeric
// Content-Length within bounds. Anything else cannot be answered (there is no request to answer),
// so the connection is closed with a message and the editor restarts the server — rather than
// a server that never answers again, or buffers input without end.
import { Transform, type TransformCallback } from 'node:stream';

/** A header block longer than this is not one. */
const MAX_HEADER_BYTES = 8 * 1024;
/** The largest message: a document at the spec limit (1 Mi characters), JSON-escaped. */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

export class FramingError extends Error {}

const HEADER_END = Buffer.from('\r\n\r\n');

/** Passes the bytes through unchanged while they are well framed; errors at the first that is not. */
export class FramingGuard extends Transform {
  private header = Buffer.alloc(0);
  /** Body bytes still to pass before the next header. */
  private body = 0;

  override _transform(chunk: Buffer, _: BufferEncoding, done: TransformCallback): void {
    try {
      this.consume(chunk);
      done();
    } catch (e) {
      done(e as Error);
    }
  }

  /** Input that ends inside a message leaves nothing to answer (and a reader waiting for it). */
  override _flush(done: TransformCallback): void {
    if (this.body > 0 || this.header.length > 0)
      done(new FramingError('the input ended inside a message'));
    else done();
  }

  private consume(chunk: Buffer): void {
    while (chunk.length > 0) {
      if (this.body > 0) {
        const part = chunk.subarray(0, this.body);
        this.push(part);
        this.body -= part.length;
        chunk = chunk.subarray(part.length);
        continue;
      }
      this.header = Buffer.concat([this.header, chunk]);
      const end = this.header.indexOf(HEADER_END);
      if (end < 0) {
        if (this.header.length > MAX_HEADER_BYTES)
          throw new FramingError(`a header longer than ${MAX_HEADER_BYTES} bytes`);
        return;
      }
      const block = this.header.subarray(0, end + HEADER_END.length);
      this.body = contentLength(block.toString('ascii'));
      this.push(block);
      chunk = this.header.subarray(block.length);
      this.header = Buffer.alloc(0);
    }
  }
}

function contentLength(block: string): number {
  const lines = block.trimEnd().split('\r\n');
  const field = lines.find((line) => /^content-length\s*:/i.test(line));
  if (!field) throw new FramingError(`a message without Content-Length (headers: ${quote(block)})`);
  const value = field.slice(field.indexOf(':') + 1).trim();
  if (!/^\d{1,10}$/.test(value))
    throw new FramingError(`Content-Length is not a number: ${quote(value)}`);
  const length = Number(value);
  if (length > MAX_MESSAGE_BYTES)
    throw new FramingError(`Content-Length ${length} is above the limit of ${MAX_MESSAGE_BYTES}`);
  return length;
}

const quote = (text: string) => JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
