// Drives `netspec lsp` over stdio with a real JSON-RPC client, as an editor would
// (`npm run build` first: the test runs bin/netspec.js).
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createMessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type MessageConnection,
} from 'vscode-jsonrpc/node.js';
import { LAYERS } from '../../../compiler/index.js';
import { ROOT } from '../../helpers/spec.js';

const URI = pathToFileURL(join(ROOT, 'test/fixtures/lsp-example.net')).href;
const BROKEN_URI = pathToFileURL(join(ROOT, 'test/fixtures/lsp-broken.net')).href;

const SPEC = `dataset Fashion {
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
  optimizer = SGD(lr: 0.05)
  epochs = 1
}
`;

// Two mistakes: a stray character (a syntax error) and an unknown layer (a checker error).
const BROKEN = `network N {
  input x: [4] @
  x -> Lineer(4, 2)
}
`;

interface PublishedDiagnostics {
  uri: string;
  diagnostics: { range: unknown; code: string; message: string; severity: number }[];
}

let child: ChildProcess;
let connection: MessageConnection;
const published = new Map<string, PublishedDiagnostics>();
const waiters: ((p: PublishedDiagnostics) => void)[] = [];

function nextDiagnostics(uri: string): Promise<PublishedDiagnostics> {
  const ready = published.get(uri);
  if (ready) return Promise.resolve(ready);
  return new Promise((resolve) => waiters.push((p) => p.uri === uri && resolve(p)));
}

function open(uri: string, text: string): void {
  void connection.sendNotification('textDocument/didOpen', {
    textDocument: { uri, languageId: 'netspec', version: 1, text },
  });
}

/** The LSP position of the first occurrence of `needle` in the spec, plus `delta` characters. */
function at(text: string, needle: string, delta = 0): { line: number; character: number } {
  const offset = text.indexOf(needle) + delta;
  const before = text.slice(0, offset);
  const line = before.split('\n').length - 1;
  return { line, character: offset - (before.lastIndexOf('\n') + 1) };
}

beforeAll(async () => {
  child = spawn(process.execPath, [join(ROOT, 'bin/netspec.js'), 'lsp'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  connection = createMessageConnection(
    new StreamMessageReader(child.stdout!),
    new StreamMessageWriter(child.stdin!),
  );
  connection.onNotification('textDocument/publishDiagnostics', (p: PublishedDiagnostics) => {
    published.set(p.uri, p);
    for (const waiter of waiters) waiter(p);
  });
  connection.listen();
  const result = await connection.sendRequest('initialize', {
    processId: process.pid,
    rootUri: null,
    capabilities: {},
  });
  expect(result).toMatchObject({ capabilities: { hoverProvider: true, definitionProvider: true } });
  void connection.sendNotification('initialized', {});
  open(URI, SPEC);
  open(BROKEN_URI, BROKEN);
});

afterAll(async () => {
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  await connection.sendRequest('shutdown');
  void connection.sendNotification('exit');
  expect(await exited).toBe(0);
  connection.dispose();
});

describe('netspec lsp', () => {
  it('publishes no diagnostics for a clean spec', async () => {
    expect((await nextDiagnostics(URI)).diagnostics).toEqual([]);
  });

  it('publishes both mistakes with 0-based ranges and codes', async () => {
    const { diagnostics } = await nextDiagnostics(BROKEN_URI);
    expect(diagnostics).toHaveLength(2);
    expect(diagnostics[0]).toMatchObject({
      code: 'NS0001',
      severity: 1,
      message: "unexpected character '@'",
      range: { start: { line: 1, character: 15 }, end: { line: 1, character: 16 } },
    });
    expect(diagnostics[1]).toMatchObject({
      code: 'NS1001',
      severity: 1,
      range: { start: { line: 2, character: 7 }, end: { line: 2, character: 13 } },
    });
    expect(diagnostics[1].message).toContain("unknown layer 'Lineer'");
  });

  it('completes layer names after `->`', async () => {
    const text = 'network N {\n  input x: [4]\n  x -> Conv\n}\n';
    const uri = pathToFileURL(join(ROOT, 'test/fixtures/lsp-typing.net')).href;
    open(uri, text);
    const items: { label: string; documentation?: string }[] = await connection.sendRequest(
      'textDocument/completion',
      { textDocument: { uri }, position: at(text, 'Conv', 4) },
    );
    expect(items.map((i) => i.label).sort()).toEqual([...LAYERS.keys()].sort());
    expect(items.find((i) => i.label === 'Linear')?.documentation).toBe(LAYERS.get('Linear')?.doc);
  });

  it('completes argument names inside `Linear(`', async () => {
    const text = 'network N {\n  input x: [4]\n  x -> Linear(4, \n}\n';
    const uri = pathToFileURL(join(ROOT, 'test/fixtures/lsp-args.net')).href;
    open(uri, text);
    const items: { label: string; insertText: string; detail: string }[] =
      await connection.sendRequest('textDocument/completion', {
        textDocument: { uri },
        position: at(text, 'Linear(4, ', 10),
      });
    const names = LAYERS.get('Linear')!.args.map((a) => a.name);
    expect(items.map((i) => i.label)).toEqual(names);
    expect(items.find((i) => i.label === 'bias')).toMatchObject({
      insertText: 'bias: $0',
      detail: 'default true',
    });
  });

  it('completes declared names elsewhere', async () => {
    const items: { label: string }[] = await connection.sendRequest('textDocument/completion', {
      textDocument: { uri: URI },
      position: at(SPEC, 'MLP()'),
    });
    expect(items.map((i) => i.label)).toEqual(expect.arrayContaining(['Fashion', 'MLP', 'epochs']));
  });

  it('completes sweep keys from the train block the sweep is over', async () => {
    const text = `${SPEC}\nsweep S over Baseline {\n  opt\n}\n`;
    const uri = pathToFileURL(join(ROOT, 'test/fixtures/lsp-sweep.net')).href;
    open(uri, text);
    const items: { label: string; documentation?: string }[] = await connection.sendRequest(
      'textDocument/completion',
      { textDocument: { uri }, position: at(text, '  opt\n', 5) },
    );
    const labels = items.map((i) => i.label);
    for (const key of ['seed', 'optimizer', 'optimizer.lr', 'optimizer.momentum', 'data.batch'])
      expect(labels).toContain(key);
    expect(labels).toContain('model.hidden');
    expect(labels).not.toContain('Linear');
    expect(items.find((i) => i.label === 'optimizer.lr')?.documentation).toBe('SGD: learning rate');
  });

  it('shows a layer’s output shape and parameter count on hover', async () => {
    const result: { contents: { value: string } } = await connection.sendRequest(
      'textDocument/hover',
      { textDocument: { uri: URI }, position: at(SPEC, 'Linear(784', 2) },
    );
    expect(result.contents.value).toContain('output shape: `[N, 256]`');
    expect(result.contents.value).toContain('parameters: 200,960');
  });

  it('jumps from `model = MLP()` to the network', async () => {
    const location = await connection.sendRequest('textDocument/definition', {
      textDocument: { uri: URI },
      position: at(SPEC, 'MLP()', 1),
    });
    expect(location).toEqual({
      uri: URI,
      range: { start: { line: 4, character: 8 }, end: { line: 4, character: 11 } },
    });
  });

  it('lists the declarations, with a network’s layers as children', async () => {
    const symbols: { name: string; children: { name: string }[] }[] = await connection.sendRequest(
      'textDocument/documentSymbol',
      { textDocument: { uri: URI } },
    );
    expect(symbols.map((s) => s.name)).toEqual(['Fashion', 'MLP', 'Baseline']);
    expect(symbols[1].children.map((c) => c.name)).toEqual([
      'flatten1',
      'linear1',
      'relu1',
      'linear2',
    ]);
  });
});
