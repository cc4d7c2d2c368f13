// Go to definition, references and rename through `netspec lsp`, across a spec and the file it
// imports (specs/imports.net uses the blocks of specs/blocks.net), and the document outline.
import { beforeAll, describe, expect, it } from 'vitest';
import { at, serverForTests, uriOf, type Position } from '../../helpers/lsp.js';

interface Location {
  uri: string;
  range: { start: Position; end: Position };
}

const { lsp } = serverForTests();
let imports: { uri: string; text: string };
let blocks: { uri: string; text: string };

beforeAll(async () => {
  imports = await lsp.openFile('specs/imports.net');
  blocks = await lsp.openFile('specs/blocks.net');
});

/** `file:line:character` of each location, sorted, for readable comparisons. */
const where = (locations: Location[]) =>
  locations
    .map((l) => `${l.uri.split('/').pop()}:${l.range.start.line}:${l.range.start.character}`)
    .sort();

const lineOf = (text: string, needle: string) => at(text, needle).line;

describe('navigation', () => {
  it('jumps from a block used in one file to its declaration in the imported file', async () => {
    const location = await lsp.request<Location>(
      'textDocument/definition',
      imports.uri,
      at(imports.text, 'BasicBlock(32, 32)', 3),
    );
    expect(location).toEqual({
      uri: blocks.uri,
      range: {
        start: { line: lineOf(blocks.text, 'block BasicBlock'), character: 6 },
        end: { line: lineOf(blocks.text, 'block BasicBlock'), character: 16 },
      },
    });
  });

  it('jumps from a parameter use to the parameter', async () => {
    const location = await lsp.request<Location>(
      'textDocument/definition',
      imports.uri,
      at(imports.text, 'Linear(64, classes)', 12),
    );
    expect(where([location])).toEqual([
      `imports.net:${lineOf(imports.text, 'network Imported')}:17`,
    ]);
  });

  it('finds every reference to a block across both files', async () => {
    const locations = await lsp.request<Location[]>(
      'textDocument/references',
      blocks.uri,
      at(blocks.text, 'block ConvBNReLU', 6),
      { context: { includeDeclaration: true } },
    );
    const line = (text: string, needle: string) => lineOf(text, needle);
    expect(where(locations)).toEqual(
      [
        `blocks.net:${line(blocks.text, 'block ConvBNReLU')}:6`,
        `blocks.net:${line(blocks.text, '-> ConvBNReLU(inp, out, stride')}:7`,
        `blocks.net:${line(blocks.text, 'a = x -> ConvBNReLU')}:11`,
        `blocks.net:${line(blocks.text, 'b = x -> ConvBNReLU')}:11`,
        `imports.net:${line(imports.text, '-> ConvBNReLU(1, 16)')}:7`,
      ].sort(),
    );
  });

  it('renames a block in its file and in the file that imports it', async () => {
    const edit = await lsp.request<{ changes: Record<string, { newText: string }[]> }>(
      'textDocument/rename',
      imports.uri,
      at(imports.text, 'TwoPaths(16', 2),
      { newName: 'Branches' },
    );
    expect(Object.keys(edit.changes).sort()).toEqual([blocks.uri, imports.uri].sort());
    expect(edit.changes[blocks.uri].map((e) => e.newText)).toEqual(['Branches']);
    expect(edit.changes[imports.uri].map((e) => e.newText)).toEqual(['Branches']);
    const refused = await lsp.request(
      'textDocument/rename',
      imports.uri,
      at(imports.text, 'TwoPaths(16', 2),
      {
        newName: 'not a name',
      },
    );
    expect(refused).toBeNull();
  });

  it('jumps to where a declaration is now, after an edit moves its name', async () => {
    const uri = uriOf('test/fixtures/moved.net');
    const text =
      'network MLP {\n  input x: [4]\n  x -> Linear(4, 2)\n}\ndataset D { train = idx("a", "b") }\ntrain T {\n  model = MLP()\n  data = D\n  loss = cross_entropy\n  optimizer = SGD()\n  epochs = 1\n}\n';
    for (const [written, character] of [
      [text, 8],
      [text.replace('network MLP', 'network   MLP'), 10],
    ] as const) {
      await lsp.open(uri, written);
      const location = await lsp.request<Location>(
        'textDocument/definition',
        uri,
        at(written, 'MLP()', 1),
      );
      expect(location.range.start).toEqual({ line: 0, character });
    }
  });

  it('refuses to rename what the spec does not declare', async () => {
    const range = await lsp.request(
      'textDocument/prepareRename',
      imports.uri,
      at(imports.text, 'Linear(64', 2),
    );
    expect(range).toBeNull();
  });

  it('lists the declarations, with a network’s layers as children', async () => {
    const uri = uriOf('test/fixtures/outline.net');
    await lsp.open(
      uri,
      'network MLP {\n  input x: [1, 28, 28]\n  x -> Flatten -> Linear(784, 256) -> ReLU -> Linear(256, 10)\n}\n',
    );
    const symbols = await lsp.request<
      { name: string; children: { name: string; detail: string }[] }[]
    >('textDocument/documentSymbol', uri);
    expect(symbols.map((s) => s.name)).toEqual(['MLP']);
    expect(symbols[0].children.map((c) => `${c.name} ${c.detail}`)).toEqual([
      'flatten1 Flatten → [N, 784]',
      'linear1 Linear → [N, 256]',
      'relu1 ReLU → [N, 256]',
      'linear2 Linear → [N, 10]',
    ]);
  });
});
