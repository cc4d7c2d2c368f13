// Property tests: mutated specs never make the parser or the checker throw, and every
// diagnostic they return points inside the text. Seeded, so a failure reproduces exactly
// (fast-check prints the seed and the shrunk counterexample).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkSpec, type Diagnostic } from '../../compiler/index.js';
import { format, parse } from '../../grammar/index.js';
import { ROOT } from '../helpers/spec.js';

const SEED = 20261125;
const SOURCES = [
  ...readdirSync(join(ROOT, 'specs'))
    .filter((f) => f.endsWith('.net'))
    .map((f) => join(ROOT, 'specs', f)),
  join(ROOT, 'test/fixtures/sketch.net'),
].map((path) => readFileSync(path, 'utf8'));

/** Words, numbers, strings, comments, single punctuation: the units mutations move around. */
function pieces(text: string): string[] {
  return text.match(/\s+|#[^\n]*|"[^"\n]*"?|[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?|->|[^\s]/g) ?? [];
}

type Mutation = (tokens: string[]) => string[];

const range = fc.tuple(fc.nat(), fc.nat({ max: 12 })).map(([from, length]) => (n: number) => {
  const start = n === 0 ? 0 : from % n;
  return [start, Math.min(n, start + length)] as const;
});

const JUNK = [
  '"unterminated',
  '1e999999',
  '-1e999999',
  '99999999999999999999999999',
  '\u0000\u0007\uffff',
  '\ud800',
  '@',
  '{',
  '}',
  '(',
  ')',
  '->',
  ', ,',
  ':',
  '=',
  '%',
  'if',
  'else',
  'not',
  'and',
  'freeze',
  'every',
  'network N = onnx("x") {',
];

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  range.map((r) => (t: string[]) => {
    const [a, b] = r(t.length);
    return [...t.slice(0, a), ...t.slice(b)];
  }),
  range.map((r) => (t: string[]) => {
    const [a, b] = r(t.length);
    return [...t.slice(0, b), ...t.slice(a, b), ...t.slice(b)];
  }),
  fc.tuple(range, range).map(([r1, r2]) => (t: string[]) => {
    const [a, b] = r1(t.length);
    const [c, d] = r2(t.length);
    if (b > c && d > a) return t;
    const [first, second] =
      a < c
        ? [
            [a, b],
            [c, d],
          ]
        : [
            [c, d],
            [a, b],
          ];
    return [
      ...t.slice(0, first[0]),
      ...t.slice(second[0], second[1]),
      ...t.slice(first[1], second[0]),
      ...t.slice(first[0], first[1]),
      ...t.slice(second[1]),
    ];
  }),
  fc
    .tuple(fc.nat(), fc.oneof(fc.constantFrom(...JUNK), fc.string({ unit: 'binary' })))
    .map(([at, junk]) => (t: string[]) => {
      const i = t.length === 0 ? 0 : at % t.length;
      return [...t.slice(0, i), junk, ...t.slice(i)];
    }),
  fc
    .uint8Array({ maxLength: 64 })
    .map((bytes) => (t: string[]) => [...t, Buffer.from(bytes).toString('latin1')]),
);

const mutatedSpec = fc
  .tuple(fc.constantFrom(...SOURCES), fc.array(mutation, { minLength: 1, maxLength: 4 }))
  .map(([source, mutations]) => mutations.reduce((t, m) => m(t), pieces(source)).join(''));

function expectValid(diagnostics: Diagnostic[], text: string): void {
  expect(Array.isArray(diagnostics)).toBe(true);
  const lines = text.split(/\r\n|\r|\n/).length;
  for (const d of diagnostics) {
    expect(typeof d.code).toBe('string');
    expect(typeof d.message).toBe('string');
    for (const p of [d.span.start, d.span.end]) {
      expect(Number.isInteger(p.offset) && p.offset >= 0 && p.offset <= text.length).toBe(true);
      expect(p.line >= 1 && p.line <= lines && p.column >= 1).toBe(true);
    }
    expect(d.span.end.offset).toBeGreaterThanOrEqual(d.span.start.offset);
  }
}

/** Parse and check must both return, with diagnostics inside the text. */
function survives(text: string): void {
  const parsed = parse(text, 'fuzz.net');
  expect(parsed.ast.kind).toBe('File');
  expectValid(parsed.diagnostics, text);
  const checked = checkSpec(text, 'fuzz.net');
  expectValid(
    checked.diagnostics.filter((d) => d.file === 'fuzz.net'),
    text,
  );
}

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
