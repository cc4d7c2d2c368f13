// How the data readers word a file they cannot read, and which cells of a file a message may
// quote.
import { CODES } from '../../compiler/index.js';
import { UserError } from '../errors.js';
import { errnoOf, FileError } from '../files.js';

/** A file that cannot be opened or read, in the words every data reader uses. */
export function unreadable(path: string, e: unknown): UserError {
  if (e instanceof FileError)
    return new UserError(
      e.errno === 'ENOENT' ? CODES.dataNotFound : CODES.dataUnreadable,
      e.message,
    );
  const code = errnoOf(e);
  const reason =
    code === 'EISDIR' ? 'is a directory, not a file' : `cannot be read (${code ?? String(e)})`;
  return new UserError(
    code === 'ENOENT' ? CODES.dataNotFound : CODES.dataUnreadable,
    `${path}: ${reason}`,
  );
}

/**
 * Whether a spreadsheet cell may be quoted in a message: only what looks like a number is, so
 * a message never shows a line of a file that is not a spreadsheet of numbers (a data path
 * pointing at /etc/passwd).
 */
export const numberLike = (cell: string) => /^[\d\s.+\-eE]{1,24}$/.test(cell);

/**
 * Whether a first-row cell may be quoted as a column name (`pixel0`, `label`): a short word,
 * which says which header the file has without showing a line of one that is not a spreadsheet.
 */
export const headerLike = (cell: string) => /^[A-Za-z_][\w.-]{0,31}$/.test(cell);
