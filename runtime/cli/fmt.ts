// `netspec fmt`: print specs canonically, rewrite them in place (`--write`) or list those that
// would change (`--check`). A file with syntax errors is reported and never touched.
import { format } from '../../grammar/index.js';
import { FileError, readText } from '../files.js';
import { writeFileAtomic } from '../writes.js';
import { UserError } from '../errors.js';
import { formatDiagnostic, summary } from './print.js';
import { CODES } from '../../compiler/index.js';

export interface FmtOptions {
  write?: boolean;
  check?: boolean;
}

export function fmtCommand(paths: string[], options: FmtOptions): number {
  let failed = false;
  const changed: string[] = [];
  for (const path of paths) {
    const source = readSpecText(path);
    const result = format(source, path);
    if (result.diagnostics.length > 0) {
      const sources = new Map([[path, source]]);
      for (const d of result.diagnostics) process.stderr.write(formatDiagnostic(d, sources) + '\n');
      process.stderr.write(`${path}: not formatted, ${summary(result.diagnostics)}\n`);
      failed = true;
      continue;
    }
    if (result.text !== source) changed.push(path);
    if (options.check) continue;
    if (options.write) {
      if (result.text !== source) writeFileAtomic(path, Buffer.from(result.text));
    } else process.stdout.write(result.text);
  }
  if (options.check && changed.length > 0) {
    process.stdout.write(changed.map((p) => `${p}: would be reformatted\n`).join(''));
    return 1;
  }
  return failed ? 1 : 0;
}

/** A spec's text; a file that is not UTF-8 text is refused, so --write never rewrites bytes. */
function readSpecText(path: string): string {
  try {
    return readText(path, 'spec');
  } catch (e) {
    if (e instanceof FileError)
      throw new UserError(CODES.unreadableFile, `${path}: cannot read the spec: ${e.reason}`);
    throw e;
  }
}
