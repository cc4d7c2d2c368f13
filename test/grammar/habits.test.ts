// PyTorch's spellings: each written construct is one NS0004 diagnostic whose message shows the
// netspec form, whose fix writes exactly that form, and which leaves the tree as if netspec's
// form had been written (so nothing cascades and `netspec fmt` writes the netspec form).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { format, parse, PYTORCH_FORM, type Diagnostic } from '../../grammar/index.js';
import { ROOT } from '../helpers/spec.js';

/** The tree without positions or the marks that remember how it was written. */
function tree(text: string): string {
  const marks = new Set(['span', 'equals', 'tuple', 'torchPrefix', 'python', 'compose']);
  return JSON.stringify(parse(text, 'x.net').ast, (k, v) => (marks.has(k) ? undefined : v));
}

/** Applies every edit of every fix, last first so offsets stay valid. */
function applyFixes(text: string, diagnostics: Diagnostic[]): string {
  const edits = diagnostics.flatMap((d) => d.fixes?.[0]?.edits ?? []);
  edits.sort((a, b) => b.span.start.offset - a.span.start.offset);
  return edits.reduce(
    (t, e) => t.slice(0, e.span.start.offset) + e.text + t.slice(e.span.end.offset),
    text,
  );
}

const network = (chain: string) => `network N {\n  input x: [1, 28, 28]\n  x -> ${chain}\n}\n`;
const train = (setting: string) => `train T {\n  ${setting}\n}\n`;

const CASES: [string, string, string][] = [
  // [written, the netspec form the message shows, the same spec written in netspec]
  [
    train('optimizer = SGD(lr=0.05, momentum=0.9)'),
    'SGD(lr: 0.05, momentum: 0.9)',
    train('optimizer = SGD(lr: 0.05, momentum: 0.9)'),
  ],
  [
    network('Conv2d(1, 8, kernel_size=(7, 7))'),
    'Conv2d(1, 8, kernel_size: [7, 7])',
    network('Conv2d(1, 8, kernel_size: [7, 7])'),
  ],
  [network('Conv2d(1, 8, (3, 3))'), '[3, 3]', network('Conv2d(1, 8, [3, 3])')],
  [network('nn.Conv2d(1, 8, 3)'), 'Conv2d(1, 8, 3)', network('Conv2d(1, 8, 3)')],
  [network('torch.nn.ReLU'), 'ReLU', network('ReLU')],
  [
    network('Linear(784, 10, bias=False)'),
    'Linear(784, 10, bias: false)',
    network('Linear(784, 10, bias: false)'),
  ],
  [
    train('data = D, batch=64, shuffle=True'),
    'data = D, batch: 64, shuffle: true',
    train('data = D, batch: 64, shuffle: true'),
  ],
  [
    'transform A {\n  transforms.Compose([transforms.RandomCrop(28, padding=4), transforms.ToTensor()])\n}\n',
    'RandomCrop(28, padding: 4), ToTensor()',
    'transform A {\n  RandomCrop(28, padding: 4), ToTensor()\n}\n',
  ],
];

describe('PyTorch spellings', () => {
  it.each(CASES)('%s', (written, form, netspec) => {
    const { diagnostics } = parse(written, 'x.net');
    expect(diagnostics).toHaveLength(1);
    const [d] = diagnostics;
    expect(d.code).toBe(PYTORCH_FORM);
    expect(d.message).toContain(`netspec writes \`${form}\``);
    const fixed = applyFixes(written, diagnostics);
    expect(fixed).toBe(netspec);
    expect(parse(fixed, 'x.net').diagnostics).toEqual([]);
    expect(tree(written)).toBe(tree(netspec));
  });

  it('makes one diagnostic per construct in a whole spec, and fixes leave none', () => {
    const text = readFileSync(join(ROOT, 'test/errors/pytorch-habits.net'), 'utf8');
    const { diagnostics } = parse(text, 'habits.net');
    const lines = diagnostics.map((d) => d.span.start.line);
    expect(diagnostics.every((d) => d.code === PYTORCH_FORM)).toBe(true);
    expect(lines).toEqual([8, 17, 18, 19, 26, 28]);
    const fixed = applyFixes(text, diagnostics);
    expect(parse(fixed, 'habits.net').diagnostics).toEqual([]);
    expect(tree(fixed)).toBe(tree(text));
  });

  it('is formatted into the netspec form', () => {
    const text = readFileSync(join(ROOT, 'test/errors/pytorch-habits.net'), 'utf8');
    const formatted = format(text, 'habits.net');
    expect(formatted.diagnostics).toEqual([]);
    expect(parse(formatted.text, 'habits.net').diagnostics).toEqual([]);
    expect(formatted.text).toContain('optimizer = SGD(lr: 0.05, momentum: 0.9)');
    expect(formatted.text).toContain('  RandomCrop(28, padding: 4)\n  ToTensor()\n');
  });

  it('leaves other dotted names whole, for the checker to report', () => {
    const { ast, diagnostics } = parse(network('foo.Bar(1)'), 'x.net');
    expect(diagnostics).toEqual([]);
    expect(JSON.stringify(ast)).toContain('"name":"foo.Bar"');
  });
});
