// A file on a mount that stops answering (an NFS server gone, a FUSE daemon that stalls): the
// read times out with a positioned message and netspec exits 1 promptly. A tiny FUSE file system
// (test/helpers/stall_fs.py) serves files whose read, whose stat, or whose reads past their first
// 4 KiB (a streamed source, mid-epoch) never return.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LspClient, MLP_SPEC } from '../helpers/lsp.js';
import { PYTHON } from '../helpers/machine.js';
import { idxBytes, tinySpec } from '../helpers/idx.js';
import { ROOT, tempDir } from '../helpers/spec.js';
import { mountStall } from '../helpers/stall-fs.js';
import type { Stall } from '../helpers/stall-fs.js';

/** NETSPEC_READ_TIMEOUT for these runs, in seconds. */
const LIMIT = 1;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

/**
 * Runs the CLI without waiting past `within` ms: a process stuck in a FUSE read cannot be killed
 * (spawnSync's timeout would wait for it forever), so a run still going then has status null.
 */
function run(args: string[], cwd: string, within = 8000): Promise<Run> {
  const started = performance.now();
  const child = spawn(process.execPath, [join(ROOT, 'bin/netspec.js'), ...args], {
    cwd,
    env: { ...process.env, NETSPEC_READ_TIMEOUT: String(LIMIT) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => {
    const done = (status: number | null) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr, seconds: (performance.now() - started) / 1000 });
    };
    const timer = setTimeout(() => {
      child.unref();
      child.stdout.destroy();
      child.stderr.destroy();
      done(null);
    }, within);
    child.on('close', (status) => done(status));
  });
}

/** `promise`, or a rejection after `ms` (a server stuck in a read never answers). */
function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  const late = new Promise<T>((_, reject) =>
    setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref(),
  );
  return Promise.race([promise, late]);
}

/** Opens a document importing a stalled file: its diagnostic comes within the limit, saying so. */
async function expectStalledImport(lsp: LspClient, uri: string, text: string, name = '') {
  const started = performance.now();
  const { diagnostics } = await within(8000, lsp.open(uri, text));
  expect((performance.now() - started) / 1000, name).toBeLessThan(LIMIT + 5);
  const messages = diagnostics.map((d) => d.message).join('\n');
  expect(messages, name).toContain(`did not answer within ${LIMIT} s`);
}

function expectTimedOut(result: Run, ...fragments: string[]) {
  expect(result.status, `still running after ${result.seconds} s: ${result.stderr}`).toBe(1);
  expect(result.seconds).toBeLessThan(LIMIT + 5);
  for (const fragment of fragments) expect(result.stderr).toContain(fragment);
  expect(result.stderr).toContain(`did not answer within ${LIMIT} s`);
  expect(result.stderr).not.toMatch(/\n\s+at |Error:|node:internal/);
}

describe('reads from a mount that stops answering', () => {
  let dir: string;
  const stalls: Stall[] = [];
  beforeAll(async () => {
    if (!existsSync('/dev/fuse'))
      throw new Error('these tests need /dev/fuse (and fuse3, python3-fusepy: see .ci/run)');
    dir = tempDir();
    const content = join(dir, 'content');
    writeFileSync(content, readFileSync(join(ROOT, 'specs/blocks.net')));
    for (const mode of ['read', 'getattr'] as const) {
      mkdirSync(join(dir, mode));
      const files = { 'stalled.net': content, 'stalled.onnx': content };
      stalls.push(await mountStall(PYTHON, join(dir, mode), files, mode));
    }
  });
  afterAll(() => {
    for (const stall of stalls) stall.unmount();
  });

  it.each(['read', 'getattr'])('check of a spec importing a file whose %s stalls', async (mode) => {
    writeFileSync(join(dir, `${mode}.net`), `import "${mode}/stalled.net"\n`);
    const result = await run(['check', `${mode}.net`], dir);
    expectTimedOut(result, `${mode}.net:1:8: error NS1301`, `${mode}/stalled.net:`);
  });

  it.each(['read', 'getattr'])('info of an ONNX file whose %s stalls', async (mode) => {
    const result = await run(['info', `${mode}/stalled.onnx`], dir);
    expectTimedOut(result, `error NS4007: ${mode}/stalled.onnx:`);
  });

  it.each(['read', 'getattr'])('data of a dataset whose file %s stalls', async (mode) => {
    const spec = `dataset D {\n  train = idx("${mode}/stalled.onnx", "${mode}/stalled.net")\n}\n`;
    writeFileSync(join(dir, `data-${mode}.net`), spec);
    const result = await run(['data', `data-${mode}.net`], dir);
    expectTimedOut(result, `${mode}/stalled.onnx:`);
  });

  it('data of an image folder whose entries do not answer a stat', async () => {
    const spec = `dataset D {\n  train = images("getattr", shape: [1, 28, 28])\n}\n`;
    writeFileSync(join(dir, 'folder.net'), spec);
    const result = await run(['data', 'folder.net'], dir);
    expectTimedOut(result, `${join(dir, 'getattr')}: did not answer`);
  });

  it('the language server answers past an import whose read stalls', async () => {
    process.env.NETSPEC_READ_TIMEOUT = String(LIMIT); // the server started here inherits it
    const lsp = new LspClient();
    await lsp.initialize();
    const uri = pathToFileURL(join(dir, 'server.net')).href;
    await expectStalledImport(lsp, uri, 'import "read/stalled.net"\n');
    // An edit reads the import again: it is remembered as stalled, and does not wait again.
    const again = performance.now();
    const edited = await within(8000, lsp.open(uri, '\nimport "read/stalled.net"\n'));
    expect((performance.now() - again) / 1000).toBeLessThan(LIMIT / 2);
    expect(edited.diagnostics.map((d) => d.message).join('\n')).toContain('did not answer');
    const other = await lsp.open(pathToFileURL(join(dir, 'mlp.net')).href, MLP_SPEC);
    expect(other.diagnostics).toEqual([]);
    expect(await lsp.close()).toBe(0);
  });

  it('the language server has its own limit (readTimeoutSeconds), in its thread and its worker', async () => {
    const environment = process.env.NETSPEC_READ_TIMEOUT;
    delete process.env.NETSPEC_READ_TIMEOUT;
    const lsp = new LspClient();
    try {
      await lsp.initialize({ readTimeoutSeconds: LIMIT });
    } finally {
      if (environment !== undefined) process.env.NETSPEC_READ_TIMEOUT = environment;
    }
    const importing = 'import "read/stalled.net"\n';
    // Over 128 Ki characters: analysed by the server's worker, not its thread.
    const texts = { small: importing, large: importing + `# ${'-'.repeat(140_000)}\n` };
    for (const [name, text] of Object.entries(texts))
      await expectStalledImport(lsp, pathToFileURL(join(dir, `${name}.net`)).href, text, name);
    expect(await lsp.close()).toBe(0);
  });
});

describe('a streamed source on a mount that stops answering mid-file', () => {
  let dir: string;
  let stall: Stall | undefined;
  const COUNT = 3000;
  beforeAll(async () => {
    dir = tempDir();
    // Random pixels: the gzip file stays megabytes, far past the first read that answers.
    const pixels = randomBytes(COUNT * 784);
    const images = idxBytes([COUNT, 28, 28], pixels);
    const labels = Array.from({ length: COUNT }, (_, i) => i % 10);
    writeFileSync(join(dir, 'images'), images);
    writeFileSync(join(dir, 'images.gz'), gzipSync(images));
    const rows = labels.map((_, i) => pixels.subarray(i * 784, (i + 1) * 784).join(','));
    writeFileSync(join(dir, 'images.csv'), rows.join('\n') + '\n');
    writeFileSync(join(dir, 'labels'), idxBytes([COUNT], Uint8Array.from(labels)));
    writeFileSync(join(dir, 'labels.csv'), labels.join('\n') + '\n');
    mkdirSync(join(dir, 'later'));
    const names = ['images', 'images.gz', 'images.csv'];
    const files = Object.fromEntries(names.map((name) => [name, join(dir, name)]));
    stall = await mountStall(PYTHON, join(dir, 'later'), files, 'after:4096');
  });
  afterAll(() => stall?.unmount());

  it.each([
    ['a raw IDX file read in place', 'raw', 'idx("later/images", "labels", stream: true)'],
    [
      'a gzip IDX file inflated into the cache',
      'gzip',
      'idx("later/images.gz", "labels", stream: true)',
    ],
    [
      'a CSV spreadsheet converted into the cache',
      'csv',
      'csv(images: "later/images.csv", labels: "labels.csv", stream: true)',
    ],
  ])('%s: train ends with the message', async (_, name, train) => {
    writeFileSync(join(dir, `${name}.net`), tinySpec('images', 'labels', train));
    const result = await run(['train', `${name}.net`, '--out', `out-${name}`], dir);
    expectTimedOut(result, `${join(dir, 'later/images')}`);
    // The raw file's first example (within its first 4 KiB) was read: the stall came mid-epoch.
    if (name === 'raw') expect(result.stdout).toContain('training T: MLP on Tiny (3000 train');
  });
});
