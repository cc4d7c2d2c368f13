// Writing outputs: whole files, and the folders they go in, each failure a WriteError naming the
// path and why in words.
import { mkdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { CODES } from '../compiler/index.js';
import { UserError } from './errors.js';

/** An output that could not be written (NS4002); `message` is `path: cannot write … (reason)`. */
export class WriteError extends UserError {
  constructor(message: string) {
    super(CODES.outputFolder, message);
  }
}

const WRITE_REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'its folder does not exist',
  ENOTDIR: 'a part of its path is a file, not a folder',
  EISDIR: 'it is a folder',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
};

/** The WriteError of a failed write (or `what` else) of `path`, its errno in words. */
export function writeError(path: string, e: unknown, what = 'write'): WriteError {
  const code = (e as NodeJS.ErrnoException).code ?? String(e);
  return new WriteError(`${path}: cannot ${what} (${WRITE_REASONS[code] ?? code})`);
}

/**
 * Writes a file whole: into a temporary name beside it, then renamed over it, so a reader never
 * sees half a file and a failure (a full disk) leaves the old file and no temporary behind.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array | string): void {
  const temporary = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(temporary, bytes);
    renameSync(temporary, path);
  } catch (e) {
    try {
      unlinkSync(temporary);
    } catch {
      // never made
    }
    throw writeError(path, e);
  }
}

/** Makes an output folder (and its parents), or a WriteError saying why it cannot. */
export function makeFolder(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw writeError(dir, e, 'create the folder');
  }
}
