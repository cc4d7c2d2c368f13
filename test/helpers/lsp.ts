// A real JSON-RPC client for `netspec lsp` (`npm run build` first: it runs bin/netspec.js), as an
// editor drives it: initialize, open documents, wait for their diagnostics, send requests.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  createMessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type MessageConnection,
} from 'vscode-jsonrpc/node.js';
import { ROOT } from './spec.js';

export interface LspDiagnostic {
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  code: string;
  message: string;
  severity: number;
}

export interface Published {
  uri: string;
  version?: number;
  diagnostics: LspDiagnostic[];
}

export type Position = { line: number; character: number };

/** The LSP position of the first occurrence of `needle` in `text`, plus `delta` characters. */
export function at(text: string, needle: string, delta = 0): Position {
  const index = text.indexOf(needle);
  if (index < 0) throw new Error(`'${needle}' is not in the text`);
  const offset = index + delta;
  const before = text.slice(0, offset);
  const line = before.split('\n').length - 1;
  return { line, character: offset - (before.lastIndexOf('\n') + 1) };
}

/** The position just after `needle` (where the cursor is after typing it). */
export const after = (text: string, needle: string) => at(text, needle, needle.length);

export const uriOf = (path: string) => pathToFileURL(join(ROOT, path)).href;

export class LspClient {
  readonly connection: MessageConnection;
  private child: ChildProcess;
  private published = new Map<string, Published>();
  private waiters: ((p: Published) => void)[] = [];
  private versions = new Map<string, number>();

  constructor() {
    this.child = spawn(process.execPath, [join(ROOT, 'bin/netspec.js'), 'lsp'], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    this.connection = createMessageConnection(
      new StreamMessageReader(this.child.stdout!),
      new StreamMessageWriter(this.child.stdin!),
    );
    this.connection.onNotification('textDocument/publishDiagnostics', (p: Published) => {
      this.published.set(p.uri, p);
      for (const waiter of this.waiters) waiter(p);
    });
    this.connection.listen();
  }

  async initialize(): Promise<{ capabilities: Record<string, unknown> }> {
    const result = await this.connection.sendRequest('initialize', {
      processId: process.pid,
      rootUri: null,
      capabilities: {},
    });
    void this.connection.sendNotification('initialized', {});
    return result as { capabilities: Record<string, unknown> };
  }

  /** Opens (or replaces) a document and returns the diagnostics published for this text. */
  open(uri: string, text: string): Promise<Published> {
    const waiting = this.nextDiagnostics(uri);
    const version = (this.versions.get(uri) ?? 0) + 1;
    this.versions.set(uri, version);
    const method = version === 1 ? 'textDocument/didOpen' : 'textDocument/didChange';
    const params =
      version === 1
        ? { textDocument: { uri, languageId: 'netspec', version, text } }
        : { textDocument: { uri, version }, contentChanges: [{ text }] };
    void this.connection.sendNotification(method, params);
    return waiting;
  }

  /** Opens a file of the repository with its own text and URI. */
  openFile(path: string): Promise<{ uri: string; text: string; published: Published }> {
    const uri = uriOf(path);
    const text = readFileSync(join(ROOT, path), 'utf8');
    return this.open(uri, text).then((published) => ({ uri, text, published }));
  }

  /** The next diagnostics published for `uri`. */
  nextDiagnostics(uri: string): Promise<Published> {
    return new Promise((resolve) => {
      const waiter = (p: Published) => {
        if (p.uri !== uri) return;
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(p);
      };
      this.waiters.push(waiter);
    });
  }

  request<T>(method: string, uri: string, position?: Position, extra: object = {}): Promise<T> {
    const params = { textDocument: { uri }, ...(position ? { position } : {}), ...extra };
    return this.connection.sendRequest(method, params) as Promise<T>;
  }

  async close(): Promise<number | null> {
    const exited = new Promise<number | null>((resolve) => this.child.on('exit', resolve));
    await this.connection.sendRequest('shutdown');
    void this.connection.sendNotification('exit');
    const code = await exited;
    this.connection.dispose();
    return code;
  }
}
