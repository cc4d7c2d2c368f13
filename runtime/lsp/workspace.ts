// What the language server knows across documents: the text of open documents (an import that
// is open is read from the editor, unsaved changes and all), each file's parse kept part by part
// so an edit re-parses only the declaration it touches, and binary files (ONNX models) kept
// while their size and modification time stay the same, so a model is read and imported once
// per change of the file, not per keystroke.
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ParseResult, PartCache } from '../../grammar/index.js';
import { parse, ParseCache } from '../../grammar/index.js';

interface Binary {
  size: number;
  mtimeMs: number;
  bytes: Uint8Array;
}

export class Workspace {
  private caches = new Map<
    string,
    { cache: PartCache; last?: { text: string; result: ParseResult } }
  >();
  private binaries = new Map<string, Binary>();

  /** `openText(file)`: the editor's text of an open document, or undefined. */
  constructor(private openText: (file: string) => string | undefined) {}

  fileOf(uri: string): string {
    return uri.startsWith('file:') ? fileURLToPath(uri) : uri;
  }

  uriOf(file: string): string {
    return file.includes(':') && !file.startsWith('/') ? file : pathToFileURL(file).href;
  }

  /** A spec's text: the open document's, else the file's; undefined when unreadable. */
  readText = (file: string): string | undefined => {
    const open = this.openText(file);
    if (open !== undefined) return open;
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
  };

  /** A file's bytes, the same buffer for as long as its size and modification time hold. */
  readBinary = (file: string): Uint8Array | undefined => {
    try {
      const { size, mtimeMs } = statSync(file);
      const known = this.binaries.get(file);
      if (known && known.size === size && known.mtimeMs === mtimeMs) return known.bytes;
      const bytes = readFileSync(file);
      this.binaries.set(file, { size, mtimeMs, bytes });
      return bytes;
    } catch {
      this.binaries.delete(file);
      return undefined;
    }
  };

  /** Parses a file, reusing the parts unchanged since its last parse. */
  parseFile = (text: string, file: string): ParseResult => {
    let entry = this.caches.get(file);
    if (entry === undefined) {
      entry = { cache: new ParseCache() };
      this.caches.set(file, entry);
    }
    if (entry.last?.text === text) return entry.last.result;
    const result = parse(text, file, entry.cache);
    entry.last = { text, result };
    return result;
  };

  /** Forgets a closed document's parts (its file is read from disk from now on). */
  forget(file: string): void {
    this.caches.delete(file);
  }
}
