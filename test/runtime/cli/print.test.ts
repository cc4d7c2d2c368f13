// Printing diagnostics: linear in their number (each source's lines are indexed once), and a
// long line shows a window around its span rather than the whole line under every error.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diagnostic } from '../../../compiler/index.js';
import { formatDiagnostic } from '../../../runtime/cli/print.js';
import { netspec, tempDir } from '../../helpers/spec.js';

const at = (line: number, column: number, length = 1) => ({
  start: { offset: 0, line, column },
  end: { offset: 0, line, column: column + length },
});

describe('printing diagnostics', () => {
  it('prints 20,000 errors of a 20,000-line spec in linear time', () => {
    const source = Array.from({ length: 20_000 }, (_, i) => `  x${i} -> Lineer(4, 2)`).join('\n');
    const sources = new Map([['big.net', source]]);
    const diagnostics = Array.from({ length: 20_000 }, (_, i) =>
      diagnostic(
        'NS1001',
        "unknown layer 'Lineer'",
        'big.net',
        at(i + 1, 3 + `x${i} -> `.length, 6),
      ),
    );
    const started = performance.now();
    const printed = diagnostics.map((d) => formatDiagnostic(d, sources));
    // A hang guard only (before: 419 s for 20,000 errors); speed lives in `npm run bench`.
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(printed[19_999].split('\n')).toEqual([
      "big.net:20000:13: error NS1001: unknown layer 'Lineer'",
      '20000 |   x19999 -> Lineer(4, 2)',
      '      |             ^^^^^^',
    ]);
  });

  it('shows a window of a long line, the carets under the span', () => {
    const line = `${'a, '.repeat(5_000)}@${', b'.repeat(5_000)}`;
    const column = line.indexOf('@') + 1;
    const [, text, carets] = formatDiagnostic(
      diagnostic('NS0001', "unexpected character '@'", 'long.net', at(1, column)),
      new Map([['long.net', line]]),
    ).split('\n');
    expect(text.length).toBeLessThan(140);
    expect(text).toMatch(/^1 \| … ?a, a.*@, b.*…$/);
    expect(text[carets.indexOf('^')]).toBe('@');
    expect(carets.trim()).toMatch(/^\| +\^$/);
  });

  it('the CLI prints 20,000 errors promptly', () => {
    const dir = tempDir();
    const body = Array.from({ length: 20_000 }, () => '  x -> Lineer(4, 2)').join('\n');
    writeFileSync(join(dir, 'errors.net'), `network N {\n  input x: [4]\n${body}\n}\n`);
    const started = performance.now();
    const result = netspec(['check', 'errors.net'], dir);
    expect(performance.now() - started).toBeLessThan(60_000);
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n').at(-1)).toBe('20000 errors');
  });
});
