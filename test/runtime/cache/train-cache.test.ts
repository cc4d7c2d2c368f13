// `netspec train` and its graph cache: the second run reads the entry the first wrote and ends
// with the same weights; an entry altered on disk is compiled again and replaced, with the same
// weights; --no-cache and NETSPEC_NO_CACHE leave the cache alone; a cache folder that netspec
// did not make is left as it was.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tinySpec, writeIdxPair } from '../../helpers/idx.js';
import { netspec, tempDir } from '../../helpers/spec.js';

let dir: string;

/** Trains the tiny spec with `home` as XDG_CACHE_HOME; the weights file's bytes. */
function trained(home: string, out: string, args: string[] = [], env: NodeJS.ProcessEnv = {}) {
  const result = netspec(['train', 'spec.net', '--out', out, ...args], dir, {
    ...process.env,
    XDG_CACHE_HOME: home,
    NETSPEC_NO_CACHE: '',
    ...env,
  });
  expect(result.status, result.stderr).toBe(0);
  return readFileSync(join(dir, out, 'weights.safetensors'));
}

const graphs = (home: string) => join(home, 'netspec', 'graphs');
const entries = (home: string) =>
  readdirSync(graphs(home)).filter((n) => n.endsWith('.netspec-graphs'));

describe('netspec train and the graph cache', () => {
  let uncached: Buffer;
  beforeAll(() => {
    dir = tempDir();
    writeIdxPair(dir, 8);
    writeFileSync(join(dir, 'spec.net'), tinySpec('images', 'labels'));
    const home = tempDir();
    uncached = trained(home, 'uncached', ['--no-cache']);
    expect(existsSync(join(home, 'netspec'))).toBe(false);
  });

  it('writes an entry, reads it back, and trains to the same weights', () => {
    const home = tempDir();
    expect(trained(home, 'cold').equals(uncached)).toBe(true);
    const [entry] = entries(home);
    const written = readFileSync(join(graphs(home), entry));
    expect(trained(home, 'warm').equals(uncached)).toBe(true);
    expect(entries(home)).toEqual([entry]);
    // Altered on disk: compiled again, the same weights, the entry written afresh.
    const altered = Buffer.from(written);
    altered[altered.length - 100] ^= 1;
    writeFileSync(join(graphs(home), entry), altered);
    expect(trained(home, 'altered').equals(uncached)).toBe(true);
    expect(readFileSync(join(graphs(home), entry)).equals(written)).toBe(true);
  });

  it('NETSPEC_NO_CACHE leaves the cache alone', () => {
    const home = tempDir();
    expect(trained(home, 'off', [], { NETSPEC_NO_CACHE: '1' }).equals(uncached)).toBe(true);
    expect(existsSync(join(home, 'netspec'))).toBe(false);
  });

  it('leaves a cache folder netspec did not make as it was', () => {
    const home = tempDir();
    mkdirSync(graphs(home), { recursive: true });
    writeFileSync(join(graphs(home), 'mine.txt'), 'the user’s');
    expect(trained(home, 'foreign').equals(uncached)).toBe(true);
    expect(readdirSync(graphs(home))).toEqual(['mine.txt']);
  });
});
