// The language server against hostile input, over stdio as an editor drives it: bytes that are
// not a framed message close the connection (the editor restarts the server) instead of
// leaving a server that never answers; a document that is not text is one diagnostic; a
// document reads files only under the workspace folder unless the client allows more.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  createMessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
} from 'vscode-jsonrpc/node.js';
import { describe, expect, it } from 'vitest';
import type { Published } from '../../helpers/lsp.js';
import { ROOT, tempDir } from '../../helpers/spec.js';

/** A hang guard only: a server that ignores bad framing never exits. */
const PROMPT = 20_000;

function startServer() {
  return spawn(process.execPath, [join(ROOT, 'bin/netspec.js'), 'lsp'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/**
 * Writes `bytes` to a fresh server and ends its input; resolves with its exit code and stderr,
 * or 'running'.
 */
async function feed(bytes: string): Promise<{ code: number | null | 'running'; stderr: string }> {
  const child = startServer();
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  child.stdin.end(bytes);
  const timer = new Promise<'running'>((resolve) => setTimeout(() => resolve('running'), PROMPT));
  const code = await Promise.race([exited, timer]);
  if (code === 'running') child.kill('SIGKILL');
  return { code, stderr };
}

/** A client of a fresh server initialized with `params`; `open` returns the diagnostics. */
async function client(params: object) {
  const child = startServer();
  const connection = createMessageConnection(
    new StreamMessageReader(child.stdout),
    new StreamMessageWriter(child.stdin),
  );
  const published = new Map<string, (p: Published) => void>();
  connection.onNotification('textDocument/publishDiagnostics', (p: Published) =>
    published.get(p.uri)?.(p),
  );
  connection.listen();
  await connection.sendRequest('initialize', {
    processId: process.pid,
    capabilities: {},
    ...params,
  });
  void connection.sendNotification('initialized', {});
  return {
    open(uri: string, text: string): Promise<Published> {
      const result = new Promise<Published>((resolve) => published.set(uri, resolve));
      const textDocument = { uri, languageId: 'netspec', version: 1, text };
      void connection.sendNotification('textDocument/didOpen', { textDocument });
      return result;
    },
    request: (method: string, params: object) => connection.sendRequest(method, params),
    async close() {
      const exited = new Promise((resolve) => child.on('exit', resolve));
      await connection.sendRequest('shutdown');
      void connection.sendNotification('exit');
      await exited;
      connection.dispose();
    },
  };
}

describe('the language server on bad framing', () => {
  it.each([
    ['a Content-Length that is not a number', 'Content-Length: abc\r\n\r\n{}', 'not a number'],
    ['a message without Content-Length', 'Content-Type: x\r\n\r\n{}', 'without Content-Length'],
    ['a header that never ends', 'x'.repeat(20_000), 'a header longer than'],
    ['a body that is not JSON', 'Content-Length: 5\r\n\r\nhello', 'closing the connection'],
    ['input that ends inside a body', 'Content-Length: 99\r\n\r\n{"a":', 'ended inside a message'],
  ])('%s: closes the connection with one line, exit 1', async (_, bytes, fragment) => {
    const { code, stderr } = await feed(bytes);
    expect(code).toBe(1);
    expect(stderr).toContain('netspec lsp: closing the connection');
    expect(stderr).toContain(fragment);
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});

/** Frames JSON-RPC messages as a client writes them. */
const framed = (...messages: object[]) =>
  messages
    .map((m) => JSON.stringify({ jsonrpc: '2.0', ...m }))
    .map((body) => `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`)
    .join('');

describe('the language server on clients that misbehave', () => {
  it('a client whose input ends while a document is analysed: exit 0, no trace', async () => {
    const uri = pathToFileURL(join(tempDir(), 'quick.net')).href;
    const text = 'network N {\n  input x: [1]\n  x -> ReLU\n}\n';
    const session = framed(
      { id: 1, method: 'initialize', params: { processId: null, capabilities: {} } },
      { method: 'textDocument/didOpen', params: { textDocument: { uri, version: 1, text } } },
      { id: 2, method: 'shutdown' },
      { method: 'exit' },
    );
    expect(await feed(session)).toEqual({ code: 0, stderr: '' });
  });

  it('a message that is neither request nor notification, then input ends: exit 1, no trace', async () => {
    const session = framed({ id: 1, lethod: 'initialize', params: { capabilities: {} } });
    const { code, stderr } = await feed(session);
    expect(code).toBe(1);
    expect(stderr).toBe('netspec lsp: closing the connection: Connection is closed.\n');
  });

  it('a request without its document or position: an InvalidParams answer', async () => {
    const lsp = await client({ rootUri: null });
    const position = { line: 0, character: 0 };
    for (const params of [{ textDocument: null, position }, { textDocument: { uri: 'x' } }])
      await expect(lsp.request('textDocument/hover', params)).rejects.toMatchObject({
        code: -32602,
        message: 'the request needs a textDocument.uri and a position',
      });
    await expect(lsp.request('textDocument/documentSymbol', {})).rejects.toMatchObject({
      message: 'the request needs a textDocument.uri',
    });
    await lsp.close();
  });
});

describe('the language server on documents', () => {
  it('a document that is not text gets one "not a text file" diagnostic', async () => {
    const lsp = await client({ rootUri: null });
    const uri = pathToFileURL(join(tempDir(), 'image.net')).href;
    const png = '\u0089PNG\r\n\u001a\n\u0000\u0000\u0000\rIHDR\uFFFD\uFFFD';
    const { diagnostics } = await lsp.open(uri, png);
    expect(diagnostics.map((d) => d.message)).toEqual([
      'not a text file: it holds NUL characters or bytes that are not UTF-8',
    ]);
    await lsp.close();
  });

  it('reads only files under the workspace folder, unless the client allows more', async () => {
    const dir = tempDir();
    const [workspace, outside] = [join(dir, 'project'), join(dir, 'home')];
    mkdirSync(workspace);
    mkdirSync(outside);
    writeFileSync(join(outside, 'secret.net'), 'block Secret {\n  input x\n  x -> ReLU\n}\n');
    writeFileSync(join(workspace, 'inside.net'), 'block Inside {\n  input x\n  x -> ReLU\n}\n');
    const text = 'import "../home/secret.net"\nimport "inside.net"\n';
    const uri = pathToFileURL(join(workspace, 'main.net')).href;
    const rootUri = pathToFileURL(workspace).href;

    const guarded = await client({ rootUri });
    const { diagnostics } = await guarded.open(uri, text);
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0].range.start.line).toBe(0);
    expect(diagnostics[0].message).toContain('outside the workspace folder');
    await guarded.close();

    const trusting = await client({
      rootUri,
      initializationOptions: { readOutsideWorkspace: true },
    });
    expect((await trusting.open(uri, text)).diagnostics).toEqual([]);
    await trusting.close();
  });
});
