// Signature help, formatting and semantic tokens through `netspec lsp`.
import { describe, expect, it } from 'vitest';
import { format } from '../../../grammar/index.js';
import { OPTIMIZERS } from '../../../compiler/index.js';
import { serverForTests, uriOf } from '../../helpers/lsp.js';

interface SignatureHelp {
  signatures: { label: string; parameters: { label: [number, number]; documentation: string }[] }[];
  activeParameter: number;
}

const { lsp, capabilities } = serverForTests();
type Legend = { tokenTypes: string[]; tokenModifiers: string[] };
const legendOf = () => (capabilities().semanticTokensProvider as { legend: Legend }).legend;

const TRAIN = 'train T {\n  optimizer = ';

describe('signature help', () => {
  const uri = uriOf('test/fixtures/signature.net');

  async function help(text: string): Promise<SignatureHelp> {
    await lsp.open(uri, text);
    const lines = text.split('\n');
    const end = { line: lines.length - 1, character: lines[lines.length - 1].length };
    return lsp.request('textDocument/signatureHelp', uri, end);
  }

  it("shows SGD's arguments and the one being written", async () => {
    const sgd = OPTIMIZERS.get('SGD')!;
    const first = await help(`${TRAIN}SGD(`);
    const [signature] = first.signatures;
    expect(signature.label).toBe(
      'SGD(lr = 0.001, momentum = 0, dampening = 0, weight_decay = 0, nesterov = false)',
    );
    expect(signature.parameters.map((p) => signature.label.slice(...p.label))).toEqual(
      sgd.args.map((a) => a.name),
    );
    expect(first.activeParameter).toBe(0);
    expect((await help(`${TRAIN}SGD(0.1, `)).activeParameter).toBe(1);
    expect((await help(`${TRAIN}SGD(lr: 0.1, nesterov: `)).activeParameter).toBe(4);
    expect((await help(`${TRAIN}SGD(lr: 0.1, `)).activeParameter).toBe(1);
  });

  it("shows a layer's arguments in a network", async () => {
    const result = await help('network N {\n  input x: [4]\n  x -> Linear(4, ');
    expect(result.signatures[0].label).toBe(
      'Linear(in_features = auto, out_features, bias = true)',
    );
    expect(result.activeParameter).toBe(1);
  });
});

describe('formatting', () => {
  it("returns netspec fmt's text as one edit, and nothing for a file with syntax errors", async () => {
    const uri = uriOf('test/fixtures/formatting.net');
    const messy = 'network  N{input x:[4]\nx->Linear(4,2)->ReLU}\n';
    await lsp.open(uri, messy);
    const edits = await lsp.request<{ newText: string }[]>(
      'textDocument/formatting',
      uri,
      undefined,
      {
        options: { tabSize: 2, insertSpaces: true },
      },
    );
    expect(edits).toHaveLength(1);
    expect(edits[0].newText).toBe(format(messy, 'formatting.net').text);
    expect(edits[0].newText).toBe('network N {\n  input x: [4]\n  x -> Linear(4, 2) -> ReLU\n}\n');
    await lsp.open(uri, 'network N {\n  x -> (\n}\n');
    const none = await lsp.request('textDocument/formatting', uri, undefined, {
      options: { tabSize: 2, insertSpaces: true },
    });
    expect(none).toEqual([]);
  });
});

describe('semantic tokens', () => {
  it('classifies every name by its role', async () => {
    const uri = uriOf('test/fixtures/tokens.net');
    const text =
      'network N(k = 2) {  # a network\n  input x: [4]\n  x -> Linear(4, k, bias: false)\n}\n';
    await lsp.open(uri, text);
    const legend = legendOf();
    const { data } = await lsp.request<{ data: number[] }>('textDocument/semanticTokens/full', uri);
    const tokens: string[] = [];
    let line = 0;
    let character = 0;
    for (let i = 0; i < data.length; i += 5) {
      line += data[i];
      character = data[i] === 0 ? character + data[i + 1] : data[i + 1];
      const word = text.split('\n')[line].slice(character, character + data[i + 2]);
      const modifiers = legend.tokenModifiers.filter((_, bit) => data[i + 4] & (1 << bit));
      tokens.push([`${word}:${legend.tokenTypes[data[i + 3]]}`, ...modifiers].join('/'));
    }
    expect(tokens).toEqual([
      'network:keyword',
      'N:class/declaration',
      'k:parameter/declaration',
      '2:number',
      '# a network:comment',
      'input:keyword',
      'x:variable/declaration',
      '4:number',
      'x:variable',
      '->:operator',
      'Linear:class/defaultLibrary',
      '4:number',
      'k:parameter',
      'bias:parameter',
      'false:keyword',
    ]);
  });
});
