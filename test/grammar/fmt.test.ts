// `netspec fmt`: canonical, idempotent, faithful to the tree, keeps every comment.
import { readdirSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { format, parse } from '../../grammar/index.js';
import { netspec, ROOT, tempDir } from '../helpers/spec.js';

const SPECS = readdirSync(join(ROOT, 'specs'))
  .filter((f) => f.endsWith('.net'))
  .map((f) => join('specs', f));
const SAMPLES = [...SPECS, 'test/fixtures/sketch.net', 'test/fmt/messy.net'];
const MESSY = join(ROOT, 'test/fmt/messy.net');
const EXPECTED = readFileSync(join(ROOT, 'test/fmt/messy.expected.net'), 'utf8');

/** The tree without positions: what must survive formatting. */
function shape(text: string): string {
  const { ast } = parse(text, 'x.net');
  return JSON.stringify(ast, (key, value) => (key === 'span' ? undefined : value));
}

function commentTexts(text: string): string[] {
  return parse(text, 'x.net').comments.map((c) => c.text.trimEnd());
}

describe.each(SAMPLES)('formatting %s', (path) => {
  const source = readFileSync(join(ROOT, path), 'utf8');
  const once = format(source, path);

  it('succeeds without diagnostics', () => {
    expect(once.diagnostics).toEqual([]);
  });

  it('is idempotent', () => {
    expect(format(once.text, path).text).toBe(once.text);
  });

  it('keeps the syntax tree and every comment, in order', () => {
    expect(shape(once.text)).toBe(shape(source));
    expect(commentTexts(once.text)).toEqual(commentTexts(source));
  });

  it('keeps lines within 100 columns unless one item is longer', () => {
    const long = once.text.split('\n').filter((l) => l.length > 100);
    // Only unbreakable lines (a long list or call) may exceed the width; never a chain.
    for (const line of long) expect(line.trimStart().startsWith('->')).toBe(false);
  });
});

describe('the canonical form', () => {
  it('matches the golden file for a messy input', () => {
    expect(format(readFileSync(MESSY, 'utf8'), 'messy.net').text).toBe(EXPECTED);
  });

  it('reads CRLF line endings and writes LF', () => {
    const crlf = readFileSync(MESSY, 'utf8').replace(/\n/g, '\r\n');
    expect(format(crlf, 'messy.net').text).toBe(EXPECTED);
  });

  it('breaks a long chain before each arrow and keeps a short one on one line', () => {
    const stages = Array.from({ length: 12 }, (_, i) => `Linear(${i + 1}, ${i + 2})`);
    const text = `network N {\n  input x: [1]\n  x -> ${stages.join(' -> ')}\n  x -> ReLU\n}\n`;
    const lines = format(text, 'x.net').text.split('\n');
    expect(lines[2]).toBe('  x');
    expect(lines[3]).toBe('    -> Linear(1, 2)');
    expect(lines[15]).toBe('  x -> ReLU');
  });

  it('puts parentheses back only where precedence needs them', () => {
    const text = 'dataset D { a = (1 + 2) * -(3 - 4) - (5 - 6) b = (x or y) and not (p < q) }';
    expect(format(text, 'x.net').text).toBe(
      'dataset D {\n  a = (1 + 2) * -(3 - 4) - (5 - 6)\n  b = (x or y) and not p < q\n}\n',
    );
  });

  it('refuses a file with syntax errors and returns it unchanged', () => {
    const text = 'network N {\n  x -> \n';
    const result = format(text, 'x.net');
    expect(result.text).toBe(text);
    expect(result.diagnostics.map((d) => d.code)).toEqual(['NS0003']);
  });

  it('formats an empty file to nothing and a comment-only file to its comments', () => {
    expect(format('', 'x.net').text).toBe('');
    expect(format('  # only\n\n', 'x.net').text).toBe('# only\n');
  });
});

describe('netspec fmt (the CLI)', () => {
  it('prints the formatted text', () => {
    const result = netspec(['fmt', MESSY]);
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(EXPECTED);
  });

  it('--check lists the files that would change and exits 1', () => {
    const dir = tempDir();
    const messy = join(dir, 'messy.net');
    const clean = join(dir, 'clean.net');
    copyFileSync(MESSY, messy);
    writeFileSync(clean, EXPECTED);
    const result = netspec(['fmt', '--check', messy, clean]);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe(`${messy}: would be reformatted\n`);
    expect(netspec(['fmt', '--check', clean]).status).toBe(0);
  });

  it('--write rewrites in place, leaving no temporary file', () => {
    const dir = tempDir();
    const messy = join(dir, 'messy.net');
    copyFileSync(MESSY, messy);
    const result = netspec(['fmt', '--write', messy]);
    expect(result.status).toBe(0);
    expect(result.stdout).toBe('');
    expect(readFileSync(messy, 'utf8')).toBe(EXPECTED);
    expect(readdirSync(dir)).toEqual(['messy.net']);
  });

  it('reports a syntax error, exits 1 and leaves the file untouched', () => {
    const dir = tempDir();
    const broken = join(dir, 'broken.net');
    const text = 'network N {\n  x -> )\n}\n';
    writeFileSync(broken, text);
    const result = netspec(['fmt', '--write', broken]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      `${broken}:2:8: error NS0003: expected an expression after '->', found ')'`,
    );
    expect(readFileSync(broken, 'utf8')).toBe(text);
  });
});
