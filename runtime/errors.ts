// The one error a command ends with when the user can act on it: a code from the catalogue
// (compiler/codes.ts, explained in docs/diagnostics.md), one line saying what is wrong, and where
// the spec names the file when that is known. The CLI prints it and exits with code 1, no stack
// trace. Kept light (no onnxruntime) so that the CLI's entry point can recognize it before any
// command module is loaded.
import type { DataFile } from '../compiler/index.js';

export class UserError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** Where the spec names the file, when known. */
    readonly at?: DataFile,
  ) {
    super(message);
  }
}

/**
 * Ends a command whose problems were printed already (the spec's diagnostics): exit code 1 and
 * nothing more.
 */
export function alreadyReported(): UserError {
  return new UserError('', '');
}
