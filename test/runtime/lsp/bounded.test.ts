// A large document is analysed apart, within a time and a memory bound, so that it cannot hold
// up the other documents: the small one opened after it gets its diagnostics, completion and
// hover while the large one is still being checked; an analysis past its bound is stopped with
// one diagnostic at 1:1 that gives the bound; a newer version cancels the running analysis.
import { describe, expect, it } from 'vitest';
import type { InitializeParams } from 'vscode-languageserver/node.js';
import { listSpec } from '../../../bench/language.js';
import { boundsOf } from '../../../runtime/lsp/bounded.js';
import { after, LspClient, MLP_SPEC, uriOf } from '../../helpers/lsp.js';

/** Milliseconds since `start`. */
const since = (start: number) => performance.now() - start;

describe('the language server on a large document', () => {
  it('answers a small document while a large one is checked', { timeout: 120_000 }, async () => {
    const lsp = new LspClient();
    await lsp.initialize();
    const [large, small] = [uriOf('test/fixtures/large.net'), uriOf('test/fixtures/small.net')];
    const start = performance.now();
    const largeDone = lsp.open(large, listSpec(1_000_000, 'Big')).then(() => since(start));
    const { diagnostics } = await lsp.open(small, MLP_SPEC);
    const smallMs = since(start);
    const completion = await lsp.request<{ label: string }[]>(
      'textDocument/completion',
      small,
      after(MLP_SPEC, 'optimizer = '),
    );
    const hover = await lsp.request<{ contents: { value: string } }>(
      'textDocument/hover',
      small,
      after(MLP_SPEC, 'SGD'),
    );
    const answeredMs = since(start);
    const largeMs = await largeDone;

    expect(diagnostics).toEqual([]);
    expect(completion.map((c) => c.label)).toContain('Adam');
    expect(hover.contents.value).toContain('**SGD**');
    // The small document does not wait for the large one: its answers come well before.
    expect(answeredMs).toBeLessThan(largeMs / 2);
    expect(smallMs).toBeLessThan(largeMs / 2);
    expect(await lsp.close()).toBe(0);
  });

  it(
    'cancels the running analysis when a newer version arrives',
    { timeout: 120_000 },
    async () => {
      const lsp = new LspClient();
      await lsp.initialize();
      const uri = uriOf('test/fixtures/large.net');
      const start = performance.now();
      await lsp.open(uri, listSpec(1_000_000, 'Slow'));
      const slowMs = since(start);

      // A new slow version, then at once a quicker one with an error: only the quicker one runs.
      void lsp.open(uri, listSpec(1_000_000, 'Other'));
      const quick = `${listSpec(140_000, 'Quick')}network N {\n  input x: [1]\n  x -> Nope\n}\n`;
      const restart = performance.now();
      let last = await lsp.open(uri, quick);
      while (last.diagnostics.length === 0) last = await lsp.nextDiagnostics(uri);
      expect(last.diagnostics.map((d) => d.message).join()).toContain("'Nope'");
      expect(since(restart)).toBeLessThan(slowMs / 2);
      expect(await lsp.close()).toBe(0);
    },
  );

  it.each([
    [{ analysisSeconds: 1 }, 'the analysis took longer than 1 s'],
    [{ analysisMemoryMb: 16 }, 'the analysis needed more than 16 MB'],
  ])('past its bound (%o) gets one diagnostic at 1:1', { timeout: 60_000 }, async (bound, why) => {
    const lsp = new LspClient();
    await lsp.initialize(bound);
    const uri = uriOf('test/fixtures/large.net');
    const { diagnostics } = await lsp.open(uri, listSpec(1_000_000, 'Big'));
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0].range.start).toEqual({ line: 0, character: 0 });
    expect(diagnostics[0].code).toBe('NS1104');
    expect(diagnostics[0].message).toBe(`netspec stopped checking this document: ${why}`);
    // The server goes on: a small document is still checked.
    const small = uriOf('test/fixtures/small.net');
    expect((await lsp.open(small, MLP_SPEC)).diagnostics).toEqual([]);
    expect(await lsp.close()).toBe(0);
  });

  it('reads wait 5 s, or NETSPEC_READ_TIMEOUT, or the option readTimeoutSeconds', () => {
    const readSeconds = (options?: object) =>
      boundsOf({ initializationOptions: options } as InitializeParams).readSeconds;
    const environment = process.env.NETSPEC_READ_TIMEOUT;
    try {
      delete process.env.NETSPEC_READ_TIMEOUT;
      expect(readSeconds()).toBe(5);
      expect(readSeconds({ readTimeoutSeconds: 'soon' })).toBe(5);
      process.env.NETSPEC_READ_TIMEOUT = '2';
      expect(readSeconds()).toBe(2);
      expect(readSeconds({ readTimeoutSeconds: 3 })).toBe(3);
    } finally {
      if (environment === undefined) delete process.env.NETSPEC_READ_TIMEOUT;
      else process.env.NETSPEC_READ_TIMEOUT = environment;
    }
  });
});
