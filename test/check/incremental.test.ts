// Checking with the parser's cache (what the language server does on every keystroke) reuses
// the declarations an edit does not touch, and what the checker remembers about them; the
// diagnostics and the checked networks are those of a fresh check, through any edits.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkSpec, type CheckResult } from '../../compiler/index.js';
import { parse, ParseCache, type ParseResult } from '../../grammar/index.js';
import { ROOT } from '../helpers/spec.js';

const SEED = 20261204;
const SPECS = [
  'resnet18.net',
  'blocks.net',
  'residual.net',
  'fashion-cnn.net',
  'regularization.net',
];
const SOURCES = SPECS.map((f) => readFileSync(join(ROOT, 'specs', f), 'utf8'));

const edit = fc.tuple(
  fc.double({ min: 0, max: 1, noNaN: true }),
  fc.nat({ max: 6 }),
  fc.constantFrom('', '1', '\n', ' ', '}', 'x', '-> ReLU', 'stride = 2', 'block B(n) {\n}\n'),
);

/** What a check says: every diagnostic, and each network's layers with their shapes. */
function summary(result: CheckResult): string {
  const networks = [...result.spec.networks].map(([name, m]) => [
    name,
    m.layers.map((l) => `${l.path} ${l.outputShape.join('x')} ${l.span.start.offset}`),
  ]);
  return JSON.stringify({ diagnostics: result.diagnostics, networks });
}

describe('checking with the parser’s cache', () => {
  it('checks a network again when a block it uses changes', () => {
    const cache = new ParseCache<ParseResult>();
    const cached = (text: string, file: string) => parse(text, file, cache);
    const [resnet] = SOURCES;
    checkSpec(resnet, 'x.net', undefined, undefined, cached);
    const edited = resnet.replace(
      '-> Conv2d(out, out, 3, padding: 1, bias: false) as conv2',
      '-> Conv2d(out, out, 3, padding: 0, bias: false) as conv2',
    );
    const incremental = checkSpec(edited, 'x.net', undefined, undefined, cached);
    expect(summary(incremental)).toBe(summary(checkSpec(edited, 'x.net')));
    expect(incremental.diagnostics.map((d) => d.code)).toContain('NS1101');
  });

  it('gives what a fresh check gives after every edit', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SOURCES),
        fc.array(edit, { minLength: 1, maxLength: 8 }),
        (source, edits) => {
          const cache = new ParseCache<ParseResult>();
          const cached = (text: string, file: string) => parse(text, file, cache);
          let text = source;
          checkSpec(text, 'x.net', undefined, undefined, cached);
          for (const [where, length, insert] of edits) {
            const at = Math.floor(where * text.length);
            text = text.slice(0, at) + insert + text.slice(at + length);
            const incremental = checkSpec(text, 'x.net', undefined, undefined, cached);
            expect(summary(incremental)).toBe(summary(checkSpec(text, 'x.net')));
          }
        },
      ),
      { seed: SEED, numRuns: 40 },
    );
  }, 120_000);
});
