// Property tests: mutated specs never make the parser or the checker throw, and every
// diagnostic they return points inside the text. Seeded, so a failure reproduces exactly
// (fast-check prints the seed and the shrunk counterexample).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { format, parse } from '../../grammar/index.js';
import { mutatedSpec, SOURCES, survives } from '../helpers/mutate-spec.js';

const SEED = 20261125;

describe('mutated specs', () => {
  it('never make parse or checkSpec throw', () => {
    fc.assert(
      fc.property(mutatedSpec, (text) => survives(text)),
      { seed: SEED, numRuns: 150 },
    );
  }, 20_000);

  it('that still parse format idempotently, to the same tree', () => {
    const shape = (text: string) =>
      JSON.stringify(parse(text, 'x.net').ast, (k, v) => (k === 'span' ? undefined : v));
    fc.assert(
      fc.property(mutatedSpec, (text) => {
        const once = format(text, 'fuzz.net');
        if (once.diagnostics.length > 0) {
          expect(once.text).toBe(text);
          return;
        }
        expect(format(once.text, 'fuzz.net').text).toBe(once.text);
        expect(shape(once.text)).toBe(shape(text));
      }),
      { seed: SEED, numRuns: 200 },
    );
  }, 20_000);

  it('survive arbitrary binary junk', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) =>
        survives(Buffer.from(bytes).toString('utf8')),
      ),
      { seed: SEED, numRuns: 200 },
    );
  }, 20_000);
});

/** Random well-formed expressions, parenthesized at random: the printer must add exactly the
 * parentheses precedence needs, so the tree survives formatting. */
const expression: fc.Arbitrary<string> = fc.letrec<{ expr: string }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom('x', 'in', 'freeze', '1', '2.5', '10%', '1e-3', '"s"', 'true', 'auto'),
    fc
      .tuple(
        tie('expr'),
        fc.constantFrom('+', '-', '*', '/', '==', '!=', '<', '<=', '>', '>=', 'and', 'or', '->'),
        tie('expr'),
      )
      .map(([a, op, b]) => `${a} ${op} ${b}`),
    fc.tuple(fc.constantFrom('-', 'not '), tie('expr')).map(([op, a]) => `${op}${a}`),
    tie('expr').map((a) => `(${a})`),
    fc.array(tie('expr'), { maxLength: 3 }).map((items) => `[${items.join(', ')}]`),
    fc.tuple(tie('expr'), tie('expr')).map(([a, b]) => `Linear(${a}, bias: ${b})`),
    fc.tuple(tie('expr'), tie('expr')).map(([c, a]) => `if ${c} { ${a} } else { y = ${a}\n y }`),
  ),
})).expr;

describe('generated expressions', () => {
  const shape = (text: string) =>
    JSON.stringify(parse(text, 'x.net').ast, (k, v) => (k === 'span' ? undefined : v));
  it('format to the same tree, idempotently', () => {
    fc.assert(
      fc.property(expression, (e) => {
        const text = `network N {\n  input x: [1]\n  v = ${e}\n  output v\n}\n`;
        const parsed = parse(text, 'gen.net');
        fc.pre(parsed.diagnostics.length === 0);
        const once = format(text, 'gen.net');
        expect(once.diagnostics).toEqual([]);
        expect(shape(once.text)).toBe(shape(text));
        expect(format(once.text, 'gen.net').text).toBe(once.text);
      }),
      { seed: SEED, numRuns: 300 },
    );
  }, 20_000);
});

describe('hostile inputs', () => {
  const network = (body: string) => `network N {\n  input x: [4]\n  y = ${body}\n}\n`;
  const hostile: [string, string][] = [
    ['a 10 MB line of one name', network('a'.repeat(10_000_000))],
    ['a 1 MB string', `dataset D { train = "${'s'.repeat(1_000_000)}" }`],
    ['a 10 MB comment', `# ${'c'.repeat(10_000_000)}\n${SOURCES[0]}`],
    ['a long chain on one line', network(Array(5_000).fill('ReLU').join(' -> '))],
    ['10k nested parentheses', network(`${'('.repeat(10_000)}x${')'.repeat(10_000)}`)],
    ['10k nested lists', network(`${'['.repeat(10_000)}${']'.repeat(10_000)}`)],
    ['10k nested ifs', network(`${'if a { '.repeat(10_000)}x${' }'.repeat(10_000)}`)],
    ['10k unary minus', network(`${'-'.repeat(10_000)}1`)],
    ['10k not', network(`${'not '.repeat(10_000)}x`)],
    ['10k nested calls', network(`${'f('.repeat(10_000)}${')'.repeat(10_000)}`)],
    ['huge numbers', network('Linear(1e999999, 99999999999999999999) -> Linear(-1e999999, 0)')],
    ['an unterminated string', `dataset D { train = idx("a.gz, "b.gz) }\n${SOURCES[0]}`],
    ['only an unterminated string', '"'],
  ];
  it.each(hostile)('%s', (_name, text) => survives(text), 20_000);
});
