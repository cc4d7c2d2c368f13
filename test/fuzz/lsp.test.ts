// Fuzzing the language server: a valid editor session's bytes, mutated (framing and bodies alike),
// fed to a fresh server over stdio, which must answer or close the connection and exit (0 or 1)
// once its input ends, with no stack trace; and, on one server, requests whose parameters hold
// edge values and documents that are mutated specs: each answered (a result or an error
// response), the server still serving afterwards.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MLP_SPEC, serverForTests, uriOf } from '../helpers/lsp.js';
import { mutatedSpec } from '../helpers/mutate-spec.js';
import { ROOT } from '../helpers/spec.js';
import { CHILD_ENV, fuzzRuns, hangGuard, mutated, mutatedJson, TRACE } from './fuzz.js';

const URI = uriOf('fuzz.net');

const frame = (message: object) => {
  const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', ...message }));
  return Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`), body]);
};

const HOVER = { textDocument: { uri: URI }, position: { line: 5, character: 12 } };

/** initialize, open a document, hover, complete, shut down, exit: as an editor sends them. */
const SESSION = Buffer.concat([
  frame({
    id: 1,
    method: 'initialize',
    params: { processId: null, rootUri: null, capabilities: {} },
  }),
  frame({ method: 'initialized', params: {} }),
  frame({
    method: 'textDocument/didOpen',
    params: { textDocument: { uri: URI, languageId: 'netspec', version: 1, text: MLP_SPEC } },
  }),
  frame({ id: 2, method: 'textDocument/hover', params: HOVER }),
  frame({ id: 3, method: 'textDocument/completion', params: HOVER }),
  frame({ id: 4, method: 'shutdown' }),
  frame({ method: 'exit' }),
]);

/** A hang guard only: a server must exit once its input ends. */
const PROMPT = 20_000;

/** Feeds `bytes` to a fresh server and ends its input; its exit code (null: killed) and stderr. */
async function feed(bytes: Buffer): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [join(ROOT, 'bin/netspec.js'), 'lsp'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: CHILD_ENV,
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.resume();
  child.stdin.on('error', () => {}); // a server that closed early: its exit code tells
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  child.stdin.end(bytes);
  const timer = setTimeout(() => child.kill('SIGKILL'), PROMPT);
  const code = await exited;
  clearTimeout(timer);
  return { code, stderr };
}

describe('fuzzing the language server', () => {
  it('the seed session ends with exit 0', async () => {
    expect(await feed(SESSION)).toEqual({ code: 0, stderr: '' });
  });

  const CHILDREN = 8;
  it(
    'a mutated session: the server exits 0 or 1 once its input ends, with no trace',
    async () => {
      await fc.assert(
        fc.asyncProperty(mutated([SESSION]), async (bytes) => {
          const { code, stderr } = await feed(bytes);
          const said = `${JSON.stringify(bytes.toString('latin1'))}\n--- stderr ---\n${stderr}`;
          expect([0, 1], said).toContain(code);
          expect(stderr, said).not.toMatch(TRACE);
        }),
        fuzzRuns(CHILDREN),
      );
    },
    hangGuard(CHILDREN, PROMPT),
  );

  const { lsp } = serverForTests();
  const IN_PROCESS = 40;
  it(
    'requests with edge values in their parameters are answered',
    async () => {
      await lsp.open(URI, MLP_SPEC);
      const methods = [
        'textDocument/hover',
        'textDocument/completion',
        'textDocument/definition',
        'textDocument/signatureHelp',
      ];
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...methods),
          mutatedJson(HOVER),
          async (method, params) => {
            // A result or an error response; the server crashing or never answering fails here.
            await lsp.connection.sendRequest(method, params).catch((e: Error) => {
              expect(e.message).not.toMatch(TRACE);
            });
          },
        ),
        fuzzRuns(IN_PROCESS),
      );
    },
    hangGuard(IN_PROCESS, 1000),
  );

  it(
    'mutated documents each get their diagnostics',
    async () => {
      await fc.assert(
        fc.asyncProperty(mutatedSpec, async (text) => {
          const { diagnostics } = await lsp.open(URI, text);
          for (const d of diagnostics) expect(d.message).not.toMatch(TRACE);
        }),
        fuzzRuns(IN_PROCESS),
      );
    },
    hangGuard(IN_PROCESS, 1000),
  );
});
