// Mutated specs for property tests: the repository's specs cut into pieces (words, numbers,
// strings, punctuation), then pieces removed, repeated, swapped or junk inserted; and the verdict
// every such text must get from the parser and the checker.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { expect } from 'vitest';
import { checkSpec, type Diagnostic } from '../../compiler/index.js';
import { parse } from '../../grammar/index.js';
import { ROOT } from './spec.js';

export const SOURCES = [
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

export const mutatedSpec = fc
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
export function survives(text: string): void {
  const parsed = parse(text, 'fuzz.net');
  expect(parsed.ast.kind).toBe('File');
  expectValid(parsed.diagnostics, text);
  const checked = checkSpec(text, 'fuzz.net');
  expectValid(
    checked.diagnostics.filter((d) => d.file === 'fuzz.net'),
    text,
  );
}
