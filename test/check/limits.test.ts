// The language's limits: every hostile size or depth is one positioned diagnostic that gives
// the bound, never a stack overflow, a hang, an out-of-memory abort or a crash later in `train`.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkSpec } from '../../compiler/index.js';
import { MAX_SPEC_CHARS, MAX_PART_TOKENS, parse } from '../../grammar/index.js';
import { netspec, tempDir } from '../helpers/spec.js';

const network = (hidden: string, chain = 'Linear(784, hidden)') => `network N(hidden = ${hidden}) {
  input x: [1, 28, 28]
  x -> Flatten -> ${chain} -> ReLU -> Linear(hidden, 10)
}
`;

const block = `block B {
  input x
  x -> Identity
}
`;

/** The diagnostics of a spec, as `line:column code message`. */
function check(text: string): string[] {
  return checkSpec(text, 'limits.net').diagnostics.map(
    (d) => `${d.span.start.line}:${d.span.start.column} ${d.code} ${d.message}`,
  );
}

describe('limits of the language', () => {
  it.each([
    [
      '100,000 unary minus signs',
      network(`${'-'.repeat(100_000)}1`),
      'NS0005',
      'nested more than 256 deep',
    ],
    [
      'a sum of 300 terms',
      network(Array(300).fill('1').join(' + ')),
      'NS0005',
      'nested more than 256 deep',
    ],
    [
      'a product of 300 factors',
      network(Array(300).fill('2').join(' * ')),
      'NS0005',
      'nested more than 256 deep',
    ],
    ['300 nots', network(`${'not '.repeat(300)}true`), 'NS0005', 'nested more than 256 deep'],
    [
      'a list of 70,000 items',
      `dataset D {\n  train = idx("a", "b")\n  classes = [${'"a",'.repeat(70_000)}]\n}\n`,
      'NS0005',
      'up to 65,536',
    ],
    ['a 400-digit literal', network('9'.repeat(400)), 'NS1004', 'too large (beyond ±1.8e308)'],
    [
      'a product that overflows',
      network(Array(64).fill('100000').join(' * ')),
      'NS1004',
      'product is too large',
    ],
    ['a division by zero', network('1 / 0'), 'NS1004', 'divides by zero'],
    [
      'an integer past 2^53',
      network('10', 'Linear(784, 100000 * 100000 * 100000 * 100000)'),
      'NS1004',
      'integer up to 9,007,199,254,740,991',
    ],
    [
      'a layer of 10^9 outputs',
      network('10', 'Linear(784, 1000000000)'),
      'NS1104',
      'a tensor may have up to 268,435,456',
    ],
    [
      'a weight of 10^9 elements',
      network('10', 'Linear(784, 20000) -> Linear(20000, 50000)'),
      'NS1104',
      '[50000, 20000] has 1,000,000,000 elements',
    ],
    [
      'too many parameters',
      network('600', 'Linear(784, 200000) -> Linear(200000, 600)'),
      'NS1104',
      'a model may have up to 268,435,456',
    ],
    [
      'a stage repeated 10^9 times',
      block + network('10', 'B() * 1000000000 -> Linear(784, hidden)'),
      'NS1104',
      'repeated up to 1,000 times',
    ],
    [
      'repetitions of repetitions',
      `block A {\n  input x\n  x -> Identity * 1000\n}\n` +
        network('10', 'A() * 1000 -> Linear(784, hidden)'),
      'NS1104',
      'a model may have up to 10,000 layers',
    ],
    [
      'an input of 10^12 elements',
      'network N {\n  input x: [1000, 1000000, 1000000]\n  x -> Flatten\n}\n',
      'NS1104',
      'an input of 1,000,000,000,000,000 elements',
    ],
  ])('%s: one diagnostic with the bound', (_, text, code, fragment) => {
    const diagnostics = check(text);
    expect(diagnostics, diagnostics.join('\n')).toHaveLength(1);
    expect(diagnostics[0]).toContain(code);
    expect(diagnostics[0]).toContain(fragment);
  });

  it('whole numbers are integers however they are written', () => {
    expect(check(network('32.0', 'Linear(784, 3.2e1)'))).toEqual([]);
  });

  it('a spec past the character limit is one diagnostic at its start, not parsed', () => {
    const text = `# ${'x'.repeat(MAX_SPEC_CHARS)}\n`;
    const { diagnostics } = parse(text, 'big.net');
    expect(diagnostics.map((d) => [d.code, d.span.start.line, d.message])).toEqual([
      [
        'NS0005',
        1,
        `the file has ${text.length.toLocaleString('en-US')} characters; a spec may have up to 1,048,576`,
      ],
    ]);
  });

  it('a declaration past the token limit is one diagnostic at the first token beyond it', () => {
    const text = `dataset D {\n  classes = [${'1,'.repeat(MAX_PART_TOKENS)}]\n}\n`;
    const { diagnostics } = parse(text, 'many.net');
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0].code).toBe('NS0005');
    expect(diagnostics[0].message).toContain('a declaration may have up to 200,000');
    // Six tokens come before the list's first item, then one per character.
    expect(diagnostics[0].span.start.offset).toBe(text.indexOf('[') + 1 + MAX_PART_TOKENS - 6);
  });

  it('the CLI prints each as one error, exit 1, no stack trace', () => {
    const dir = tempDir();
    const cases = {
      'minus.net': network(`${'-'.repeat(100_000)}1`),
      'digits.net': network('9'.repeat(400)),
      'repeat.net': block + network('10', 'B() * 1000000000 -> Linear(784, hidden)'),
    };
    for (const [name, text] of Object.entries(cases)) {
      writeFileSync(join(dir, name), text);
      const result = netspec(['check', name], dir);
      expect(result.status, result.stderr).toBe(1);
      expect(result.stderr).toMatch(/^\S+\.net:\d+:\d+: error NS\d{4}: /);
      expect(result.stderr).not.toMatch(/\n\s+at |RangeError|Error:/);
      expect(result.stderr.trim().split('\n').at(-1)).toBe('1 error');
    }
  });
});
