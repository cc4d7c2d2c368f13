// Language-side figures for `npm run bench`: how long `check` takes on a large generated spec,
// and how soon the language server publishes diagnostics after an edit.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  createMessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
} from 'vscode-jsonrpc/node.js';
import { checkSpec } from '../compiler/index.js';

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
  return times.sort((a, b) => a - b)[2];
}

/** Median milliseconds from a didChange to the diagnostics it causes, over `edits` edits. */
export async function lspLatency(text: string, edits: number): Promise<number> {
  const child = spawn(
    process.execPath,
    [resolve(import.meta.dirname, '../../bin/netspec.js'), 'lsp', '--stdio'],
    { stdio: ['pipe', 'pipe', 'ignore'] },
  );
  const connection = createMessageConnection(
    new StreamMessageReader(child.stdout!),
    new StreamMessageWriter(child.stdin!),
  );
  let notify: (() => void) | undefined;
  connection.onNotification('textDocument/publishDiagnostics', () => notify?.());
  connection.listen();
  const published = () => new Promise<void>((done) => (notify = done));
  await connection.sendRequest('initialize', {
    processId: process.pid,
    rootUri: null,
    capabilities: {},
  });
  connection.sendNotification('initialized', {});
  const uri = pathToFileURL('/tmp/netspec-bench.net').href;
  let waiting = published();
  connection.sendNotification('textDocument/didOpen', {
    textDocument: { uri, languageId: 'netspec', version: 1, text },
  });
  await waiting;
  const times: number[] = [];
  for (let v = 2; v < edits + 2; v++) {
    waiting = published();
    const start = performance.now();
    const edited = text.replace('hidden = 64)', `hidden = ${64 + v})`);
    connection.sendNotification('textDocument/didChange', {
      textDocument: { uri, version: v },
      contentChanges: [{ text: edited }],
    });
    await waiting;
    times.push(performance.now() - start);
  }
  await connection.sendRequest('shutdown');
  // The exit notification is written asynchronously: wait for it, and for the server to leave,
  // before closing the pipes (a write into a destroyed pipe would throw).
  const exited = new Promise((done) => child.once('exit', done));
  await connection.sendNotification('exit');
  await exited;
  connection.dispose();
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
}
