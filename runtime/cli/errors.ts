// The errors a command ends with when the user can act on them: one line, exit code 1, no stack
// trace. Kept light (no compiler, no onnxruntime) so that the CLI's entry point can recognize
// them before any command module is loaded.
import { DataError } from '../data/errors.js';
import { DeviceError } from '../device-error.js';
import { FileError, WriteError } from '../files.js';

/** A mistake of the user's that ends the command with exit code 1 after printing `message`. */
export class UserError extends Error {}

/** The line to print for an error the user can act on ('' for none), or undefined for a bug. */
export function userErrorLine(e: unknown): string | undefined {
  if (e instanceof DataError) {
    const where = e.at ? `${e.at.file}:${e.at.span.start.line}:${e.at.span.start.column}: ` : '';
    return `${where}error ${e.code}: ${e.message}\n`;
  }
  const plain = [UserError, DeviceError, FileError, WriteError];
  if (plain.some((type) => e instanceof type))
    return (e as Error).message ? `error: ${(e as Error).message}\n` : '';
  return undefined;
}
