// What a document open in the editor may make the server read: only files under the workspace
// folders (or, with none, the document's own folder), links resolved, so an untrusted
// repository opened in an editor cannot make the server read the home folder through an
// import or an `onnx("…")` path. The client allows more with the initialization option
// `readOutsideWorkspace: true`.
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import type { InitializeParams } from 'vscode-languageserver/node.js';
import { didNotAnswer, realPath } from '../files.js';
import type { ReadGuard } from '../host.js';
import { fileURLToPath } from 'node:url';

export interface WorkspaceAccess {
  /** Folders reads may come from (resolved, links followed). */
  roots: string[];
  /** The client allowed reads anywhere. */
  anywhere: boolean;
}

export function workspaceAccess(params: InitializeParams): WorkspaceAccess {
  const folders = params.workspaceFolders?.map((f) => f.uri) ?? [];
  const uris = folders.length > 0 ? folders : params.rootUri ? [params.rootUri] : [];
  const options = params.initializationOptions as { readOutsideWorkspace?: unknown } | undefined;
  return {
    roots: uris.map((u) => real(fileOf(u))),
    anywhere: options?.readOutsideWorkspace === true,
  };
}

/** The guard for the reads of one document (`file`). */
export function workspaceGuard(access: WorkspaceAccess, file: string): ReadGuard {
  if (access.anywhere) return () => undefined;
  const roots = access.roots.length > 0 ? access.roots : [real(dirname(resolve(file)))];
  return (path) => {
    let target: string;
    try {
      target = realPath(resolve(path));
    } catch (e) {
      // A file that did not answer is not read (it would wait as long again); a missing one is.
      if (didNotAnswer(e)) return e.reason;
      target = resolve(path);
    }
    const inside = roots.some((root) => {
      const rel = relative(root, target);
      return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
    });
    if (inside) return undefined;
    const where = access.roots.length > 0 ? 'the workspace folder' : "the document's folder";
    return `outside ${where} (${roots.join(', ')}); the language server reads files outside it only with readOutsideWorkspace`;
  };
}

const fileOf = (uri: string) => (uri.startsWith('file:') ? fileURLToPath(uri) : uri);

/** A path with its links resolved; as given when it does not exist (the read says so). */
function real(path: string): string {
  try {
    return realPath(path);
  } catch {
    return path;
  }
}
