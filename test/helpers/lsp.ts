// A real JSON-RPC client for `netspec lsp` (`npm run build` first: it runs bin/netspec.js), as an
// editor drives it: initialize, open documents, wait for their diagnostics, send requests.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  createMessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type MessageConnection,
} from 'vscode-jsonrpc/node.js';
import { afterAll, beforeAll, expect } from 'vitest';
import { withFixtureModels } from './fixture-models.js';
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
  private started?: { child: ChildProcess; connection: MessageConnection };
  private published = new Map<string, Published>();
  private waiters: ((p: Published) => void)[] = [];
  private versions = new Map<string, number>();

  get connection(): MessageConnection {
    if (this.started === undefined) throw new Error('the server is not started: initialize() it');
    return this.started.connection;
  }

  private start(): void {
    const child = spawn(process.execPath, [join(ROOT, 'bin/netspec.js'), 'lsp'], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const connection = createMessageConnection(
      new StreamMessageReader(child.stdout!),
      new StreamMessageWriter(child.stdin!),
    );
    connection.onNotification('textDocument/publishDiagnostics', (p: Published) => {
      this.published.set(p.uri, p);
      for (const waiter of this.waiters) waiter(p);
    });
    connection.listen();
    this.started = { child, connection };
  }

  /** Starts the server and initializes it; `options` add to the initialization options. */
  async initialize(options: object = {}): Promise<{ capabilities: Record<string, unknown> }> {
    this.start();
    const result = await this.connection.sendRequest('initialize', {
      processId: process.pid,
      rootUri: null,
      capabilities: {},
      // The fixture models are links to a folder outside the repository; reads confined to the
      // workspace are test/runtime/lsp/robustness.test.ts's.
      initializationOptions: { readOutsideWorkspace: true, ...options },
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

  /**
   * Opens a file of the repository with its own text and URI; with `models`, from a mirror of
   * its folder with the fixture models beside it (a spec naming `resnet18.onnx`).
   */
  openFile(
    path: string,
    models = false,
  ): Promise<{ uri: string; text: string; published: Published }> {
    const root = models ? withFixtureModels(dirname(path)) : ROOT;
    const uri = pathToFileURL(join(root, path)).href;
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
    const { child, connection } = this.started!;
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    await connection.sendRequest('shutdown');
    void connection.sendNotification('exit');
    const code = await exited;
    connection.dispose();
    return code;
  }
}

/**
 * A server for the tests of one file: started before them, shut down after them (it must exit
 * with 0). `capabilities()` is what it answered to initialize.
 */
export function serverForTests(): { lsp: LspClient; capabilities: () => Record<string, unknown> } {
  const lsp = new LspClient();
  let capabilities: Record<string, unknown> = {};
  beforeAll(async () => {
    ({ capabilities } = await lsp.initialize());
  });
  afterAll(async () => {
    expect(await lsp.close()).toBe(0);
  });
  return { lsp, capabilities: () => capabilities };
}

/** A small clean spec: a dataset, an MLP with defaults and a recipe. */
export const MLP_SPEC = `dataset Fashion {
  train = idx("train-images.gz", "train-labels.gz")
}

network MLP(hidden = 256, classes = 10) {
  input x: [1, 28, 28]
  x -> Flatten -> Linear(784, hidden) -> ReLU -> Linear(hidden, classes)
}

train Baseline {
  model = MLP()
  data = Fashion, batch: 64
  loss = cross_entropy
  optimizer = SGD(lr: 0.05, momentum: 0.9)
  epochs = 1
}
`;
