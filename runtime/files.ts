// Reading the files a spec or a command names (writing outputs: writes.ts). Only regular files are
// read: a named pipe would block the open forever and a device such as /dev/zero never ends, so
// the file type is checked before opening, and the open itself does not block (a pipe swapped in
// between is caught by the second check on the open file). Each kind of file has a size limit,
// checked before anything is read; text must be UTF-8. Every stat, listing and read (whole
// files, a streamed source's pieces, a gzip file inflated) runs in a reader process with a time
// limit (reader.ts), so a stalled mount ends in a message, not a hang. Every reader of
// user-named files goes through here, and says what is wrong in the same words.
import { constants } from 'node:fs';
import { CODES } from '../compiler/index.js';
import { UserError } from './errors.js';
import { writeError } from './writes.js';
import { askReader, readTimeoutSeconds, replyTo, sendToReader } from './reader.js';
import type { BatchReply, BatchRequest, ReadReply, ReadRequest, Ticket } from './reader.js';

export type FileKind =
  | 'spec'
  | 'onnx'
  | 'weights'
  | 'checkpoint'
  | 'image'
  | 'labels'
  | 'data'
  | 'stream'
  | 'cache'
  | 'sweep'
  | 'log';

const MiB = 2 ** 20;
const GiB = 2 ** 30;

/**
 * Bytes netspec reads of each kind of file. Whole-file reads stop below 2 GiB (Node's limit for
 * one read, protobuf's for an ONNX file); a streamed source is read in pieces, so only absurd
 * sizes are refused.
 */
export const FILE_LIMITS: Readonly<Record<FileKind, number>> = {
  /** A .net file (grammar/index.ts limits its characters and tokens further). */
  spec: 4 * MiB,
  onnx: 2 * GiB - 1,
  /** A safetensors file: weights, a checkpoint's model or optimizer state. */
  weights: 2 * GiB - 1,
  /** A checkpoint's state.json. */
  checkpoint: 64 * MiB,
  /** One PNG or JPEG. */
  image: 64 * MiB,
  /** An image folder's label spreadsheet. */
  labels: 256 * MiB,
  /** An IDX file read into memory. */
  data: 2 * GiB - 1,
  /** A CSV spreadsheet or a streamed IDX file. */
  stream: 1024 * GiB,
  /** A small file of netspec's caches (statistics, a conversion's description). */
  cache: 64 * MiB,
  /** A sweep's bookkeeping: its manifest, a trial's settings, result, claim and metrics. */
  sweep: 64 * MiB,
  /** A trial's log (only its end is read: readTail). */
  log: 1024 * GiB,
};

const WHAT: Readonly<Record<FileKind, string>> = {
  spec: 'specs',
  onnx: 'ONNX files',
  weights: 'safetensors files',
  checkpoint: "checkpoints' state.json",
  image: 'images',
  labels: 'label spreadsheets',
  data: 'data files in memory (stream: true reads larger ones from disk)',
  stream: 'data files',
  cache: 'cache entries',
  sweep: "sweeps' bookkeeping files",
  log: 'logs',
};

/** A file that cannot be read (NS4007); `message` is `path: reason`. */
export class FileError extends UserError {
  constructor(
    readonly path: string,
    readonly reason: string,
    /** ENOENT for a missing file or a broken link; the errno or a netspec reason otherwise. */
    readonly errno: string,
  ) {
    super(CODES.unreadableFile, `${path}: ${reason}`);
  }
}

/**
 * The errno of a failed read or write: a FileError's, or a system error's own code. Another
 * UserError has none: its `code` is the catalogue's, not the system's.
 */
export function errnoOf(e: unknown): string | undefined {
  if (e instanceof FileError) return e.errno;
  if (e instanceof UserError) return undefined;
  return (e as NodeJS.ErrnoException).code;
}

export function formatBytes(n: number): string {
  if (n >= GiB) return `${(n / GiB).toFixed(1)} GiB`;
  if (n >= MiB) return `${(n / MiB).toFixed(1)} MiB`;
  return `${Math.ceil(n / 1024)} KiB`;
}

/** A file's type (its mode), size and modification time. */
export interface FileInfo {
  mode: number;
  size: number;
  mtimeMs: number;
}

/** Why `info` is not a readable file of `kind`, or undefined. */
function typeProblem(info: FileInfo, kind: FileKind): [reason: string, code: string] | undefined {
  const type = info.mode & constants.S_IFMT;
  if (type === constants.S_IFDIR) return ['is a folder, not a file', 'EISDIR'];
  if (type === constants.S_IFIFO) return ['is a named pipe, not a regular file', 'ENOTREG'];
  if (type === constants.S_IFCHR || type === constants.S_IFBLK)
    return ['is a device, not a regular file', 'ENOTREG'];
  if (type !== constants.S_IFREG) return ['is not a regular file', 'ENOTREG'];
  if (info.size > FILE_LIMITS[kind])
    return [
      `is ${formatBytes(info.size)}; netspec reads ${WHAT[kind]} up to ${formatBytes(FILE_LIMITS[kind])}`,
      'EFBIG',
    ];
  return undefined;
}

function systemError(path: string, code: string, dangling = false): FileError {
  if (code === 'ENOENT')
    return new FileError(path, dangling ? 'is a broken symbolic link' : 'no such file', code);
  if (code === 'EACCES' || code === 'EPERM') return new FileError(path, 'permission denied', code);
  return new FileError(path, `cannot be read (${code})`, code);
}

/**
 * When each path that did not answer last timed out. For a minute it times out at once: the
 * language server reads a document's imports at every edit, and would otherwise wait the whole
 * limit each time.
 */
const stalled = new Map<string, number>();
const REMEMBER_STALLED_MS = 60_000;

function timedOut(path: string): FileError {
  stalled.set(path, Date.now());
  const reason = `did not answer within ${readTimeoutSeconds()} s (a stalled network or FUSE mount?)`;
  return new FileError(path, reason, 'ETIMEDOUT');
}

/** Whether `e` is the FileError of a file that did not answer within the time limit. */
export function didNotAnswer(e: unknown): e is FileError {
  return e instanceof FileError && e.errno === 'ETIMEDOUT';
}

/** Whether `path` timed out within the last minute. */
function recentlyStalled(path: string): boolean {
  const when = stalled.get(path);
  if (when !== undefined && Date.now() - when < REMEMBER_STALLED_MS) return true;
  stalled.delete(path);
  return false;
}

/** The reader's answer, or undefined at once for a path that timed out within the last minute. */
function askFor(request: ReadRequest): ReadReply | undefined {
  return recentlyStalled(request.path) ? undefined : askReader(request);
}

/** The reader's answer to a request about `path`, or the FileError it comes to. */
function ask(request: ReadRequest): Exclude<ReadReply, { error: string }> {
  return answered(request.path, askFor(request));
}

/** A reply about `path`, or the FileError it comes to (undefined: it did not answer). */
function answered(
  path: string,
  reply: ReadReply | undefined,
): Exclude<ReadReply, { error: string }> {
  if (!reply) throw timedOut(path);
  if (reply.error !== undefined) throw systemError(path, reply.error, reply.dangling);
  return reply;
}

/** The reader's answer about a file of `kind`, or a FileError unless it is one within limits. */
function askFile(request: ReadRequest, kind: FileKind): FileInfo & { bytes?: Uint8Array } {
  return fileReply(request.path, ask(request), kind);
}

/** A reply about a file of `kind`, or a FileError unless it is one within limits. */
function fileReply(
  path: string,
  reply: Exclude<ReadReply, { error: string }>,
  kind: FileKind,
): FileInfo & { bytes?: Uint8Array } {
  if (!('mode' in reply)) throw new Error(`the reader answered about ${path} without a mode`);
  const problem = typeProblem(reply, kind);
  if (problem) throw new FileError(path, ...problem);
  return reply;
}

/** Whether `path` exists (as existsSync says), or a FileError when it did not answer. */
export function fileExists(path: string): boolean {
  const reply = askFor({ op: 'stat', path });
  if (!reply) throw timedOut(path);
  return reply.error === undefined;
}

/** The type, size and time of `path`, whatever it is (a folder too), or a FileError. */
export function statPath(path: string): FileInfo {
  const reply = ask({ op: 'stat', path });
  if (!('mode' in reply)) throw new Error('the reader answered stat without a mode');
  return { mode: reply.mode, size: reply.size, mtimeMs: reply.mtimeMs };
}

/** An entry of a folder: its name, and whether it is a folder (a link followed). */
export interface FolderEntry {
  name: string;
  folder: boolean;
}

/** A folder's entries (in the system's order), or a FileError (ENOTDIR for a file). */
export function listFolder(path: string): FolderEntry[] {
  const reply = ask({ op: 'list', path });
  if (!('names' in reply)) throw new Error('the reader answered list without names');
  return reply.names.map((name, i) => ({ name, folder: reply.folders[i] }));
}

/** `path` with its links resolved, or a FileError (one that did not answer included). */
export function realPath(path: string): string {
  const reply = ask({ op: 'realpath', path });
  if (!('real' in reply)) throw new Error('the reader answered realpath without a path');
  return reply.real;
}

/** Throws a FileError unless `path` is a regular file of `kind` within its limit. */
export function checkFile(path: string, kind: FileKind): FileInfo {
  const { mode, size, mtimeMs } = askFile({ op: 'stat', path }, kind);
  return { mode, size, mtimeMs };
}

/**
 * The bytes of a file at each range of `ranges` (offset and length, one range after another),
 * end to end: the pieces of a streamed source (a batch's examples, a spreadsheet's next chunk),
 * read by the reader with its time limit. A range past the file's end is cut short there, so
 * fewer bytes than asked mean the end (or a file that shrank).
 */
export function readRanges(path: string, kind: FileKind, ranges: Float64Array): Buffer {
  return rangesRead(readRangesAhead(path, kind, ranges));
}

/** A readRanges sent ahead of its use: the reader reads while the caller works on the last one. */
export interface RangesAhead {
  path: string;
  kind: FileKind;
  /** None for a path that timed out within the last minute. */
  ticket?: Ticket<ReadRequest>;
}

/** Starts readRanges without waiting; `rangesRead` gives its bytes (every one must be taken). */
export function readRangesAhead(path: string, kind: FileKind, ranges: Float64Array): RangesAhead {
  if (recentlyStalled(path)) return { path, kind };
  const request = { op: 'read', path, limit: FILE_LIMITS[kind], ranges } as const;
  return { path, kind, ticket: sendToReader(request) };
}

/** The bytes of a readRanges sent ahead, or the FileError readRanges would throw. */
export function rangesRead({ path, kind, ticket }: RangesAhead): Buffer {
  return bytesOf(fileReply(path, answered(path, ticket && replyTo(ticket)), kind).bytes);
}

/**
 * Takes a readRanges sent ahead whose bytes are no longer wanted (every one sent must be taken);
 * a failure is left to the next read of the file to report.
 */
export function dropRead(ahead: RangesAhead): void {
  try {
    rangesRead(ahead);
  } catch {
    // not wanted
  }
}

/**
 * Inflates the gzip file `path` into `target` (a file of netspec's own), streaming, in the
 * reader with its time limit on silence. A problem with the data (not gzip, truncated, or more
 * than `inflateLimit` bytes: ERR_INFLATES_PAST) is returned as zlib's code and message; one
 * reading `path` is a FileError, one writing `target` a WriteError.
 */
export function gunzipInto(
  path: string,
  kind: FileKind,
  target: string,
  inflateLimit: number,
): { code: string; message: string } | undefined {
  const request = { op: 'gunzip', path, limit: FILE_LIMITS[kind], target, inflateLimit } as const;
  const reply = askFor(request);
  if (!reply) throw timedOut(path);
  if (reply.error === undefined) {
    // Not opened: the file's mode and size say why.
    const problem = 'mode' in reply ? typeProblem(reply, kind) : undefined;
    if (problem) throw new FileError(path, ...problem);
    return undefined;
  }
  if (reply.target) throw writeError(target, { code: reply.error });
  if (reply.message !== undefined) return { code: reply.error, message: reply.message };
  throw systemError(path, reply.error, reply.dangling);
}

/** A whole file's bytes (never more than its kind's limit). */
export function readFile(path: string, kind: FileKind): Buffer {
  return readBytes(path, kind);
}

/** The last `bytes` bytes of a file (all of it when shorter), as text; a partial character dropped. */
export function readTail(path: string, kind: FileKind, bytes: number): string {
  return new TextDecoder('utf-8').decode(readLast(path, kind, bytes)).replace(/^\uFFFD+/, '');
}

/** A file's first `bytes` bytes (all of it when shorter), for a look at its header. */
export function readFirst(path: string, kind: FileKind, bytes: number): Buffer {
  return readBytes(path, kind, undefined, bytes);
}

/** A file's last `bytes` bytes (all of it when shorter). */
export function readLast(path: string, kind: FileKind, bytes: number): Buffer {
  return readBytes(path, kind, bytes);
}

/** A file's bytes, its last `tail` bytes, or its first `head` bytes, read by the reader. */
function readBytes(path: string, kind: FileKind, tail?: number, head?: number): Buffer {
  const { bytes } = askFile({ op: 'read', path, limit: FILE_LIMITS[kind], tail, head }, kind);
  return bytesOf(bytes);
}

/** Paths per batch request: a batch answers within the time limit as one read does. */
const BATCH = 256;

/**
 * checkFile of many files, in batches (one round trip to the reader each): each file's
 * FileInfo, or the FileError checkFile would throw. A batch that does not answer throws.
 */
export function checkFiles(paths: readonly string[], kind: FileKind): (FileInfo | FileError)[] {
  return inBatches(paths, (batch) => {
    const reply = askBatch({ op: 'stats', paths: batch });
    return reply.each.map((entry, i) => judge(batch[i], entry, kind));
  });
}

/** readFile of many files, in batches: each file's bytes, or the FileError readFile would throw. */
export function readFiles(paths: readonly string[], kind: FileKind): (Buffer | FileError)[] {
  return inBatches(paths, (batch) => {
    const reply = askBatch({ op: 'reads', paths: batch, limit: FILE_LIMITS[kind] });
    let at = 0;
    return reply.each.map((entry, i) => {
      const judged = judge(batch[i], entry, kind);
      if (judged instanceof FileError) return judged;
      const length = entry.length ?? 0;
      at += length;
      return bytesOf(reply.bytes?.subarray(at - length, at));
    });
  });
}

/** readFiles, a batch at a time: `visit` sees each file's bytes (or FileError) in order. */
export function readEach(
  paths: readonly string[],
  kind: FileKind,
  visit: (bytes: Buffer | FileError, index: number) => void,
): void {
  for (let i = 0; i < paths.length; i += BATCH)
    readFiles(paths.slice(i, i + BATCH), kind).forEach((bytes, k) => visit(bytes, i + k));
}

function inBatches<T>(paths: readonly string[], each: (batch: string[]) => T[]): T[] {
  const out: T[] = [];
  for (let i = 0; i < paths.length; i += BATCH) out.push(...each(paths.slice(i, i + BATCH)));
  return out;
}

function askBatch(request: BatchRequest): BatchReply {
  const reply = askReader(request);
  if (!reply) throw timedOut(request.paths[0]);
  return reply;
}

/** One file of a batch: its FileInfo, or the FileError of its error or problem. */
function judge(path: string, entry: ReadReply, kind: FileKind): FileInfo | FileError {
  if (entry.error !== undefined) return systemError(path, entry.error, entry.dangling);
  if (!('mode' in entry)) return new FileError(path, 'cannot be read (EIO)', 'EIO');
  const problem = typeProblem(entry, kind);
  return problem ? new FileError(path, ...problem) : entry;
}

/** A Buffer over the reader's bytes, without copying them. */
function bytesOf(bytes: Uint8Array | undefined): Buffer {
  if (!bytes) return Buffer.alloc(0);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A text file as strict UTF-8 (a leading byte-order mark dropped). */
export function readText(path: string, kind: FileKind): string {
  return decodeText(path, readFile(path, kind));
}

/** Bytes as strict UTF-8, or a FileError saying where they stop being text. */
export function decodeText(path: string, bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new FileError(path, `is not a text file (${firstInvalid(bytes)})`, 'EILSEQ');
  }
}

/** Where the first byte that is not UTF-8 is: `byte 0xE9 at line 1, column 6 is not UTF-8`. */
function firstInvalid(bytes: Uint8Array): string {
  let at = 0;
  while (at < bytes.length) {
    const b = bytes[at];
    const length = b < 0x80 ? 1 : b < 0xc2 ? 0 : b < 0xe0 ? 2 : b < 0xf0 ? 3 : b < 0xf5 ? 4 : 0;
    if (length === 0 || !decodes(bytes.subarray(at, at + length))) break;
    at += length;
  }
  const lineStart = bytes.lastIndexOf(10, at - 1) + 1;
  const line = bytes.subarray(0, at).filter((b) => b === 10).length + 1;
  const column = utf8.decode(bytes.subarray(lineStart, at)).length + 1;
  const byte = (bytes[at] ?? 0).toString(16).toUpperCase().padStart(2, '0');
  return `byte 0x${byte} at line ${line}, column ${column} is not UTF-8`;
}

function decodes(bytes: Uint8Array): boolean {
  try {
    utf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}
