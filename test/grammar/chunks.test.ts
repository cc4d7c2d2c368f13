// Parsing part by part with a cache (what the language server does on every keystroke) gives
// exactly what a fresh parse gives, positions included, through any sequence of edits.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, ParseCache, splitChunks } from '../../grammar/index.js';
import { ROOT } from '../helpers/spec.js';

const SEED = 20261203;
const SOURCES = readdirSync(join(ROOT, 'specs'))
  .filter((f) => f.endsWith('.net'))
  .map((f) => readFileSync(join(ROOT, 'specs', f), 'utf8'));

/** An edit: replace `length` characters at a fraction of the text with `insert`. */
const edit = fc.tuple(
  fc.double({ min: 0, max: 1, noNaN: true }),
  fc.nat({ max: 8 }),
  fc.constantFrom(
    '',
    'x',
    '\n',
    ' ',
    '}',
    '{',
    'network N {\n',
    '\ntrain T {',
    '->',
    '(',
    '"',
    '7',
  ),
);

function applyEdit(text: string, [where, length, insert]: [number, number, string]): string {
  const at = Math.floor(where * text.length);
  return text.slice(0, at) + insert + text.slice(at + length);
}

const json = (value: unknown) => JSON.stringify(value);

describe('parsing part by part', () => {
  it('cuts where declarations begin and keeps every character', () => {
    for (const source of SOURCES) {
      const chunks = splitChunks(source);
      expect(chunks.map((c) => c.text).join('')).toBe(source);
      for (const c of chunks.slice(1))
        expect(c.text).toMatch(/^(import|dataset|network|block|transform|train|sweep)\b/);
    }
  });

  it('with a cache, gives what a fresh parse gives after every edit', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SOURCES),
        fc.array(edit, { minLength: 1, maxLength: 12 }),
        (source, edits) => {
          const cache = new ParseCache<ReturnType<typeof parse>>();
          let text = source;
          parse(text, 'x.net', cache);
          for (const e of edits) {
            text = applyEdit(text, e);
            expect(json(parse(text, 'x.net', cache))).toBe(json(parse(text, 'x.net')));
          }
        },
      ),
      { seed: SEED, numRuns: 60 },
    );
  }, 60_000);

  it('reuses the declarations an edit does not touch', () => {
    const source = SOURCES.find((s) => s.includes('network ResNet18'))!;
    const cache = new ParseCache<ReturnType<typeof parse>>();
    const first = parse(source, 'x.net', cache);
    const edited = source.replace(
      'block BasicBlock(inp, out, stride = 1)',
      'block BasicBlock(inp, out, stride = 2)',
    );
    const second = parse(`# a new first line\n${edited}`, 'x.net', cache);
    const resnet = (r: typeof first) => r.ast.declarations.find((d) => d.name.name === 'ResNet18');
    expect(resnet(second)).toBe(resnet(first)); // the same object, moved down one line
    expect(resnet(second)!.span.start.line).toBe(resnet(first)!.span.start.line);
    expect(json(second)).toBe(json(parse(`# a new first line\n${edited}`, 'x.net')));
  });
});
