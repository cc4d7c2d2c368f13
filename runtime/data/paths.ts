// Where data files are looked up: as given (absolute), then relative to the spec's folder, then
// under each extra root (`--data`, $NETSPEC_DATA), then under /usr/share/datasets. Each look has
// the read time limit (files.ts): a path on a stalled mount is an error, not a hang.
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { DataFile } from '../../compiler/index.js';
import { CODES } from '../../compiler/index.js';
import { UserError } from '../errors.js';
import { fileExists } from '../files.js';

/** Where Debian's dataset packages (e.g. dataset-fashion-mnist) install their files. */
export const SYSTEM_DATA_ROOT = '/usr/share/datasets';

/** The folders to look in besides the spec's: those given (`--data`), then $NETSPEC_DATA's. */
export function dataRoots(fromCli: string[]): string[] {
  const fromEnv = process.env.NETSPEC_DATA
    ? process.env.NETSPEC_DATA.split(':').filter(Boolean)
    : [];
  return [...fromCli, ...fromEnv];
}

export function resolveDataFile(file: DataFile, extraRoots: readonly string[]): string {
  if (isAbsolute(file.path)) {
    if (fileExists(file.path)) return file.path;
    throw notFound(file, [file.path]);
  }
  const roots = [dirname(resolve(file.file)), ...extraRoots, SYSTEM_DATA_ROOT];
  const candidates = roots.map((root) => join(root, file.path));
  const found = candidates.find((c) => fileExists(c));
  if (found) return found;
  throw notFound(file, roots);
}

function notFound(file: DataFile, looked: string[]): UserError {
  const hint = file.path.includes('fashion-mnist')
    ? "; Fashion-MNIST comes with Debian's package: apt-get install dataset-fashion-mnist"
    : '';
  const message = `cannot find data file '${file.path}' (looked in ${looked.join(', ')})${hint}; or pass --data DIR`;
  return new UserError(CODES.dataNotFound, message, file);
}
