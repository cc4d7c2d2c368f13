// A problem with a user's data file. Like a diagnostic, it names the file and says what is
// wrong in one line; the CLI prints it and exits with code 1, writing nothing.
import type { DataFile } from '../../compiler/index.js';

export class DataError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** Where the spec names the file, when known. */
    readonly at?: DataFile,
  ) {
    super(message);
  }
}
