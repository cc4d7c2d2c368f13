// What a command prints when it ends with an error the user can act on: one line, exit code 1,
// no stack trace.
import { UserError } from '../errors.js';

/** The line to print for an error the user can act on ('' for none), or undefined for a bug. */
export function userErrorLine(e: unknown): string | undefined {
  if (!(e instanceof UserError)) return undefined;
  if (!e.message) return '';
  const where = e.at ? `${e.at.file}:${e.at.span.start.line}:${e.at.span.start.column}: ` : '';
  return `${where}error ${e.code}: ${e.message}\n`;
}
