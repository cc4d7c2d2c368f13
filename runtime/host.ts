// The checker's host: how the compiler reads the files a spec names (imported specs, ONNX
// models), for the CLI and the language server alike. Reads go through files.ts (regular
// files within limits); an imported spec must be a .net file, links included, since messages
// quote spec lines. An optional guard refuses paths first (the language server's workspace).
import type { Unreadable } from '../compiler/index.js';
import { checkFile, errnoOf, FileError, readFile, readText, realPath } from './files.js';

/** Why a path may not be read (`outside the workspace folder`), or undefined when it may. */
export type ReadGuard = (path: string) => string | undefined;

export interface Host {
  readImport: (path: string) => string | Unreadable;
  readBinary: (path: string) => Uint8Array | Unreadable;
}

export function checkerHost(guard: ReadGuard = () => undefined): Host {
  const guarded = <T>(path: string, read: () => T): T | Unreadable => {
    const refused = guard(path);
    return refused ? { problem: refused } : readOr(read);
  };
  return {
    readBinary: (path) => guarded(path, () => readFile(path, 'onnx')),
    readImport: (path) =>
      guarded(path, () => {
        checkFile(path, 'spec');
        const real = realPath(path);
        if (!real.endsWith('.net'))
          throw new FileError(path, `leads to ${real}, not a .net spec`, '');
        return readText(path, 'spec');
      }),
  };
}

function readOr<T>(read: () => T): T | Unreadable {
  try {
    return read();
  } catch (e) {
    if (e instanceof FileError) return { problem: e.reason };
    const code = errnoOf(e);
    return { problem: code === 'ENOENT' ? 'no such file' : `cannot be read (${code ?? e})` };
  }
}
