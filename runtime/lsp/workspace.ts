// What the language server knows across documents: the text of open documents (an import that
// is open is read from the editor, unsaved changes and all), each file's parse kept part by part
// so an edit re-parses only the declaration it touches, and binary files (ONNX models) kept
// while their size and modification time stay the same, so a model is read and imported once
// per change of the file, not per keystroke. Files are read through the checker's host
// (host.ts: regular files within limits), and only under the workspace folders
// (workspace-access.ts) unless the client allows more.
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Unreadable } from '../../compiler/index.js';
import type { ParseResult, PartCache } from '../../grammar/index.js';
import { parse, ParseCache } from '../../grammar/index.js';
import { checkerHost } from '../host.js';
import { checkFile, didNotAnswer, FileError } from '../files.js';
import type { FileInfo } from '../files.js';
import { workspaceGuard, type WorkspaceAccess } from './workspace-access.js';

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

  /** Where files may be read from: set by the client's initialize request. */
  private access: WorkspaceAccess = { roots: [], anywhere: false };
  /** The document whose analysis reads now (with no workspace folder, its folder bounds reads). */
  private reader = '';

  /** `openText(file)`: the editor's text of an open document, or undefined. */
  constructor(private openText: (file: string) => string | undefined) {}

  allowReads(access: WorkspaceAccess): void {
    this.access = access;
  }

  /** The reads that follow are for the analysis of document `file`. */
  readingFor(file: string): void {
    this.reader = file;
  }

  private get guard() {
    return workspaceGuard(this.access, this.reader);
  }

  private get host() {
    return checkerHost(this.guard);
  }

  fileOf(uri: string): string {
    return uri.startsWith('file:') ? fileURLToPath(uri) : uri;
  }

  uriOf(file: string): string {
    return file.includes(':') && !file.startsWith('/') ? file : pathToFileURL(file).href;
  }

  /** A spec's text: the open document's, else the file's, or why it cannot be read. */
  readText = (file: string): string | Unreadable =>
    this.openText(file) ?? this.host.readImport(file);

  /** A file's bytes, the same buffer for as long as its size and modification time hold. */
  readBinary = (file: string): Uint8Array | Unreadable => {
    const refused = this.guard(file);
    if (refused) return { problem: refused };
    const stat = statOf(file);
    if (stat instanceof FileError) return { problem: stat.reason };
    const known = this.binaries.get(file);
    if (stat && known && known.size === stat.size && known.mtimeMs === stat.mtimeMs)
      return known.bytes;
    this.binaries.delete(file);
    const bytes = this.host.readBinary(file);
    if (stat && bytes instanceof Uint8Array)
      this.binaries.set(file, { size: stat.size, mtimeMs: stat.mtimeMs, bytes });
    return bytes;
  };

  /** A file's bytes, or undefined when it cannot be read (for features that only look). */
  bytesOf = (file: string): Uint8Array | undefined => {
    const bytes = this.readBinary(file);
    return bytes instanceof Uint8Array ? bytes : undefined;
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

/**
 * A file's size and modification time (the cache's key), undefined when it cannot be read (the
 * read says why), or the FileError of a file that did not answer (not read again: it would wait
 * as long again).
 */
function statOf(file: string): FileInfo | FileError | undefined {
  try {
    return checkFile(file, 'onnx');
  } catch (e) {
    return didNotAnswer(e) ? e : undefined;
  }
}
