// Language-side figures for `npm run bench`: how long `check` takes on a large generated spec,
// how soon the language server publishes diagnostics after it starts, and after an edit on
// specs/resnet18.net, on the ResNet18 finetune spec (which imports an ONNX model) and on the
// generated spec, and how soon a small spec opened beside a 1 MiB one gets its diagnostics.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  createMessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type MessageConnection,
} from 'vscode-jsonrpc/node.js';
import { checkSpec } from '../compiler/index.js';

export const ROOT = resolve(import.meta.dirname, '../..');

/** A spec of about `lines` lines: many small networks, each a residual MLP, and one recipe. */
export function generatedSpec(lines: number): string {
  const parts = ['dataset D { train = idx("images.gz", "labels.gz") }', ''];
  for (let k = 0; parts.length < lines; k++) {
    parts.push(
      `network Net${k}(hidden = ${64 + (k % 8) * 16}) {`,
      '  input x: [1, 28, 28]',
      '  h = x -> Flatten -> Linear(784, hidden) -> ReLU',
      '  r = h -> Linear(hidden, hidden) -> GELU -> Dropout(0.1)',
      '  (h + r) -> LayerNorm(hidden) -> Linear(hidden, 10)',
      '}',
      '',
    );
  }
  parts.push(
    'train T {',
    '  model = Net0()',
    '  data = D',
    '  loss = cross_entropy',
    '  optimizer = Adam()',
    '  epochs = 1',
    '}',
  );
  return parts.join('\n');
}

/**
 * About `chars` characters of datasets with long class lists (30,000 items each at most, as the
 * limits allow): the kind of spec that costs the most per character to check.
 */
export function listSpec(chars: number, tag = 'D'): string {
  const parts: string[] = [];
  let length = 0;
  for (let k = 0; length < chars; k++) {
    const items = Math.min(30_000, Math.ceil((chars - length) / 5));
    const part = `dataset ${tag}${k} {\n  train = idx("a", "b")\n  classes = [${'"a",'.repeat(items)}]\n}\n`;
    parts.push(part);
    length += part.length;
  }
  return parts.join('');
}

export function checkMilliseconds(text: string): number {
  checkSpec(text, 'warmup.net');
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    const { diagnostics } = checkSpec(text, 'large.net');
    times.push(performance.now() - start);
    if (diagnostics.length > 0)
      throw new Error(`generated spec has diagnostics: ${diagnostics[0].message}`);
  }
  return median(times);
}

/** A document the server is timed on: its text and the edit made again and again. */
export interface EditedSpec {
  name: string;
  /** Where the document is (an ONNX model it imports is found relative to it). */
  path: string;
  text: string;
  /** The text after the `k`-th edit. */
  edit: (k: number) => string;
}

/** The specs whose edits are timed: changing a number, as typing does. */
export function editedSpecs(): EditedSpec[] {
  const file = (name: string) => resolve(ROOT, 'specs', name);
  const resnet = readFileSync(file('resnet18.net'), 'utf8');
  const finetune = readFileSync(file('resnet18-finetune.net'), 'utf8');
  const generated = generatedSpec(2000);
  return [
    {
      name: 'specs/resnet18.net',
      path: file('resnet18.net'),
      text: resnet,
      edit: (k) => resnet.replace('classes = 1000', `classes = ${1000 + k}`),
    },
    {
      name: 'specs/resnet18-finetune.net (imports a 45 MB ONNX ResNet18)',
      path: file('resnet18-finetune.net'),
      text: finetune,
      edit: (k) => finetune.replace('Linear(512, 10)', `Linear(512, ${10 + k})`),
    },
    {
      name: `the generated ${generated.split('\n').length.toLocaleString('en-US')}-line spec`,
      path: '/tmp/netspec-bench.net',
      text: generated,
      edit: (k) => generated.replace('hidden = 64)', `hidden = ${64 + k})`),
    },
  ];
}

/** A running `netspec lsp` and the promise of the next diagnostics it publishes. */
class Server {
  readonly connection: MessageConnection;
  private waiters = new Set<(uri: string) => void>();
  private child = spawn(process.execPath, [resolve(ROOT, 'bin/netspec.js'), 'lsp', '--stdio'], {
    stdio: ['pipe', 'pipe', 'ignore'],
  });

  constructor() {
    this.connection = createMessageConnection(
      new StreamMessageReader(this.child.stdout!),
      new StreamMessageWriter(this.child.stdin!),
    );
    this.connection.onNotification('textDocument/publishDiagnostics', (p: { uri: string }) =>
      this.waiters.forEach((waiter) => waiter(p.uri)),
    );
    this.connection.listen();
  }

  /** The next diagnostics published (for `uri` only, when given). */
  published(uri?: string): Promise<void> {
    return new Promise((done) => {
      const waiter = (from: string) => {
        if (uri !== undefined && from !== uri) return;
        this.waiters.delete(waiter);
        done();
      };
      this.waiters.add(waiter);
    });
  }

  async initialize(): Promise<void> {
    await this.connection.sendRequest('initialize', {
      processId: process.pid,
      rootUri: null,
      capabilities: {},
    });
    void this.connection.sendNotification('initialized', {});
  }

  async open(uri: string, text: string): Promise<void> {
    const waiting = this.published(uri);
    this.send(uri, text);
    await waiting;
  }

  send(uri: string, text: string): void {
    void this.connection.sendNotification('textDocument/didOpen', {
      textDocument: { uri, languageId: 'netspec', version: 1, text },
    });
  }

  async change(uri: string, version: number, text: string): Promise<void> {
    const waiting = this.published();
    void this.connection.sendNotification('textDocument/didChange', {
      textDocument: { uri, version },
      contentChanges: [{ text }],
    });
    await waiting;
  }

  async close(): Promise<void> {
    await this.connection.sendRequest('shutdown');
    // The exit notification is written asynchronously: wait for it, and for the server to
    // leave, before closing the pipes (a write into a destroyed pipe would throw).
    const exited = new Promise((done) => this.child.once('exit', done));
    await this.connection.sendNotification('exit');
    await exited;
    this.connection.dispose();
  }
}

/** Milliseconds from starting `netspec lsp` to the diagnostics of a document opened at once. */
export async function firstDiagnostics(spec: EditedSpec): Promise<number> {
  const start = performance.now();
  const server = new Server();
  await server.initialize();
  await server.open(pathToFileURL(spec.path).href, spec.text);
  const elapsed = performance.now() - start;
  await server.close();
  return elapsed;
}

/**
 * Milliseconds from opening a 1 MiB spec and at once specs/resnet18.net to the diagnostics of
 * resnet18.net, then to those of the large spec.
 */
export async function besideLarge(small: EditedSpec): Promise<{ small: number; large: number }> {
  const server = new Server();
  await server.initialize();
  const start = performance.now();
  const elapsed = () => performance.now() - start;
  const largeUri = 'file:///tmp/netspec-bench-large.net';
  const large = server.published(largeUri).then(elapsed);
  server.send(largeUri, listSpec(1_000_000));
  await server.open(pathToFileURL(small.path).href, small.text);
  const result = { small: elapsed(), large: await large };
  await server.close();
  return result;
}

/** Median milliseconds from a didChange to the diagnostics it causes, over `edits` edits. */
export async function lspLatency(spec: EditedSpec, edits: number): Promise<number> {
  const server = new Server();
  await server.initialize();
  const uri = pathToFileURL(spec.path).href;
  await server.open(uri, spec.text);
  const times: number[] = [];
  for (let k = 1; k <= edits; k++) {
    const start = performance.now();
    await server.change(uri, k + 1, spec.edit(k));
    times.push(performance.now() - start);
  }
  await server.close();
  return median(times);
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
