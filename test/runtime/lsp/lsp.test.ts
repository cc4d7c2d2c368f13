// Drives `netspec lsp` over stdio with a real JSON-RPC client, as an editor would: diagnostics
// as documents open and change (an imported document's edits reach the files importing it), and
// every feature answering on half-typed text.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MLP_SPEC, serverForTests, uriOf } from '../../helpers/lsp.js';
import { ROOT } from '../../helpers/spec.js';

// Two mistakes: a stray character (a syntax error) and an unknown layer (a checker error).
const BROKEN = `network N {
  input x: [4] @
  x -> Lineer(4, 2)
}
`;

const { lsp, capabilities } = serverForTests();

describe('netspec lsp diagnostics', () => {
  it('offers every feature', () => {
    expect(capabilities()).toMatchObject({
      hoverProvider: true,
      definitionProvider: true,
      referencesProvider: true,
      signatureHelpProvider: expect.any(Object),
      inlayHintProvider: true,
      codeActionProvider: expect.any(Object),
      documentFormattingProvider: true,
      semanticTokensProvider: expect.any(Object),
    });
  });

  it('publishes no diagnostics for a clean spec', async () => {
    expect((await lsp.open(uriOf('test/fixtures/lsp-example.net'), MLP_SPEC)).diagnostics).toEqual(
      [],
    );
  });

  it('publishes both mistakes with 0-based ranges and codes', async () => {
    const { diagnostics } = await lsp.open(uriOf('test/fixtures/lsp-broken.net'), BROKEN);
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

  it('re-checks an open document when a file it imports changes in the editor', async () => {
    const blocksUri = uriOf('test/fixtures/lsp-blocks.net');
    const mainUri = uriOf('test/fixtures/lsp-main.net');
    const blocks = 'block Unit(n) {\n  input x\n  x -> Linear(auto, n) -> ReLU\n}\n';
    const main = 'import "lsp-blocks.net"\nnetwork N {\n  input x: [4]\n  x -> Unit(8)\n}\n';
    await lsp.open(blocksUri, blocks);
    expect((await lsp.open(mainUri, main)).diagnostics).toEqual([]);
    const republished = lsp.nextDiagnostics(mainUri);
    await lsp.open(blocksUri, blocks.replace('block Unit', 'block Part'));
    const { diagnostics } = await republished;
    expect(diagnostics.map((d) => d.message)).toEqual([
      expect.stringContaining("unknown layer 'Unit'"),
    ]);
  });

  it('adds data warnings once typing pauses, without holding up the checker’s diagnostics', async () => {
    const uri = uriOf('test/fixtures/lsp-data.net');
    const text = MLP_SPEC.replace(
      '"train-images.gz"',
      '"fashion-mnist/train-images-idx3-ubyte.gz"',
    ).replace('"train-labels.gz"', '"fashion-mnist/train-labels-idx1-ubyte.gz"');
    const missing = text.replace('train-images-idx3', 'no-such-images');
    const later = lsp.nextDiagnostics(uri).then(() => lsp.nextDiagnostics(uri));
    expect((await lsp.open(uri, missing)).diagnostics).toEqual([]);
    const { diagnostics } = await later;
    expect(diagnostics).toEqual([
      expect.objectContaining({
        code: 'NS2001',
        severity: 2,
        range: { start: { line: 1, character: 14 }, end: { line: 1, character: 53 } },
        message: expect.stringContaining("cannot find data file 'fashion-mnist/no-such-images"),
      }),
    ]);
    // Typing elsewhere keeps the warning where it is; finding the file removes it.
    const typed = missing.replace('epochs = 1', 'epochs = 12');
    expect((await lsp.open(uri, typed)).diagnostics.map((d) => d.code)).toEqual(['NS2001']);
    const fixed = lsp.nextDiagnostics(uri).then(() => lsp.nextDiagnostics(uri));
    expect((await lsp.open(uri, text)).diagnostics).toEqual([]);
    expect(await Promise.race([fixed, new Promise((r) => setTimeout(() => r('none'), 1500))])).toBe(
      'none',
    );
  });

  it.each(['specs/resnet18.net', 'specs/resnet18-finetune.net', 'specs/regularization.net'])(
    'answers every request on prefixes of %s being typed',
    async (path) => {
      const text = readFileSync(join(ROOT, path), 'utf8');
      const uri = uriOf(path.replace('.net', '-typing.net'));
      for (let end = 0; end <= text.length; end += 89) {
        const prefix = text.slice(0, end);
        await lsp.open(uri, prefix);
        const lines = prefix.split('\n');
        const position = { line: lines.length - 1, character: lines[lines.length - 1].length };
        const range = { start: { line: 0, character: 0 }, end: position };
        const context = { diagnostics: [] };
        await Promise.all([
          lsp.request('textDocument/completion', uri, position),
          lsp.request('textDocument/hover', uri, position),
          lsp.request('textDocument/signatureHelp', uri, position),
          lsp.request('textDocument/definition', uri, position),
          lsp.request('textDocument/inlayHint', uri, undefined, { range }),
          lsp.request('textDocument/semanticTokens/full', uri),
          lsp.request('textDocument/codeAction', uri, undefined, { range, context }),
        ]);
      }
    },
  );
});
