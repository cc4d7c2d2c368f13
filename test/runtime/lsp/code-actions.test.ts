// Quick fixes through `netspec lsp`: applying the code action's edit to the document gives the
// netspec form, and the document then checks without that diagnostic.
import { describe, expect, it } from 'vitest';
import {
  after,
  at,
  serverForTests,
  uriOf,
  type LspDiagnostic,
  type Position,
} from '../../helpers/lsp.js';

interface TextEdit {
  range: { start: Position; end: Position };
  newText: string;
}
interface CodeAction {
  title: string;
  kind: string;
  diagnostics: LspDiagnostic[];
  edit: { changes: Record<string, TextEdit[]> };
}

const { lsp } = serverForTests();

function offsetOf(text: string, p: Position): number {
  const lines = text.split('\n');
  return lines.slice(0, p.line).reduce((n, l) => n + l.length + 1, 0) + p.character;
}

function applyEdits(text: string, edits: TextEdit[]): string {
  const sorted = [...edits].sort(
    (a, b) => offsetOf(text, b.range.start) - offsetOf(text, a.range.start),
  );
  return sorted.reduce(
    (t, e) =>
      t.slice(0, offsetOf(t, e.range.start)) + e.newText + t.slice(offsetOf(t, e.range.end)),
    text,
  );
}

async function actionsAt(uri: string, text: string, needle: string): Promise<CodeAction[]> {
  const start = at(text, needle);
  return lsp.request('textDocument/codeAction', uri, undefined, {
    range: { start, end: after(text, needle) },
    context: { diagnostics: [] },
  });
}

const SPEC = `network Net {
  input x: [1, 28, 28]
  x -> Flatten -> Linear(9000, 128) -> Relu -> Linear(128, 10)
}
dataset D { train = idx("a.gz", "b.gz") }
train T {
  model = Net()
  data = D
  loss = cross_entropy
  optimizer = SGD(lr=0.05, momentum=0.9)
  epochs = 1
}
`;

describe('quick fixes', () => {
  const uri = uriOf('test/fixtures/quick-fix.net');

  it('turns SGD(lr=0.05, momentum=0.9) into SGD(lr: 0.05, momentum: 0.9), one diagnostic', async () => {
    const published = await lsp.open(uri, SPEC);
    const line = SPEC.split('\n').indexOf('  optimizer = SGD(lr=0.05, momentum=0.9)');
    const onLine = published.diagnostics.filter((d) => d.range.start.line === line);
    expect(onLine).toHaveLength(1);
    expect(onLine[0]).toMatchObject({ code: 'NS0004', severity: 1 });
    expect(onLine[0].message).toContain('netspec writes `SGD(lr: 0.05, momentum: 0.9)`');
    const [action] = await actionsAt(uri, SPEC, 'SGD(lr=');
    expect(action).toMatchObject({ kind: 'quickfix', title: 'Write SGD(lr: 0.05, momentum: 0.9)' });
    const fixed = applyEdits(SPEC, action.edit.changes[uri]);
    expect(fixed).toContain('  optimizer = SGD(lr: 0.05, momentum: 0.9)\n');
    const after = await lsp.open(uri, fixed);
    expect(after.diagnostics.map((d) => d.code)).not.toContain('NS0004');
  });

  it('writes the suggestion of a did-you-mean, and auto for an input size that does not fit', async () => {
    const text = SPEC.replace('SGD(lr=0.05, momentum=0.9)', 'SGD(lr: 0.05)');
    const published = await lsp.open(uri, text);
    expect(published.diagnostics.map((d) => d.code).sort()).toEqual(['NS1001', 'NS1101']);
    const [typo] = await actionsAt(uri, text, 'Relu');
    expect(typo.title).toBe('Write ReLU');
    const [width] = await actionsAt(uri, text, '9000');
    expect(width.title).toBe('Write auto: in_features inferred from the input');
    const fixed = applyEdits(applyEdits(text, typo.edit.changes[uri]), width.edit.changes[uri]);
    expect(fixed).toContain('x -> Flatten -> Linear(auto, 128) -> ReLU -> Linear(128, 10)');
    expect((await lsp.open(uri, fixed)).diagnostics).toEqual([]);
  });

  it('offers nothing where no diagnostic has a fix', async () => {
    const text = SPEC.replace('SGD(lr=0.05, momentum=0.9)', 'SGD(lr: 0.05)')
      .replace('Relu', 'ReLU')
      .replace('9000', '784');
    expect((await lsp.open(uri, text)).diagnostics).toEqual([]);
    expect(await actionsAt(uri, text, 'SGD')).toEqual([]);
  });
});
