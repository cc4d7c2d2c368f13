// The compiled-graph cache: a second compile of the same recipe reads the graphs back, byte for
// byte what compiling gives, and trains to the same weights; an entry flipped, cut short or
// written by other code is compiled again and replaced, never used; a change to an imported
// model's weights is a different entry; netspec writes only into a cache folder it made and
// evicts only its own entries. The recipe imports a small MLP that netspec exported and trains
// in two stages, so the later stage's compile goes through the cache too.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { renameSync, truncateSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CompiledRecipe, Recipe } from '../../../compiler/index.js';
import { checkSpec, compileRecipe } from '../../../compiler/index.js';
import { readBinary } from '../../../runtime/cli/load.js';
import type { CompileCache } from '../../../runtime/compile-cache.js';
import { cacheKey, compileCached, defaultCache } from '../../../runtime/compile-cache.js';
import { CACHE_MARKER } from '../../../runtime/ownership.js';
import { train } from '../../../runtime/train.js';
import { smallSplit, writeSmallMlp } from '../../helpers/small-mlp.js';
import { tempDir } from '../../helpers/spec.js';

const staged = (file: string) => `
dataset D { train = idx("unused-images", "unused-labels") }
network F = onnx(${JSON.stringify(file)}, shape: [1, 4, 4]) {
  freeze *
  unfreeze linear3
}
train T {
  model = F
  data = D, batch: 4, shuffle: true
  loss = cross_entropy
  optimizer = Adam(lr: 0.01)
  unfreeze linear2 after 1 epoch
  epochs = 2
  seed = 2
}`;

let recipe: Recipe;
let model: string;

function importRecipe(): Recipe {
  const { spec, diagnostics } = checkSpec(staged(model), 'cache.net', undefined, readBinary);
  expect(diagnostics.map((d) => d.message)).toEqual([]);
  return spec.recipes.get('T')!;
}

const cacheIn = (dir: string, code = 'netspec test build'): CompileCache => ({
  dir,
  maxBytes: 1 << 30,
  code,
});

const entries = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.netspec-graphs'));

/** The graphs a CPU run reads, as compiling them gives. */
function expectFresh(compiled: CompiledRecipe, of = recipe): void {
  const fresh = compileRecipe(of);
  expect(Buffer.from(compiled.steps!).equals(fresh.steps!)).toBe(true);
  expect(Buffer.from(compiled.eval).equals(fresh.eval)).toBe(true);
  expect(compiled.manifest).toEqual(fresh.manifest);
  expect(compiled.memory).toEqual(fresh.memory);
}

async function trainedWith(cache: CompileCache | undefined) {
  const { compiled } = compileCached(recipe, {}, cache);
  const result = await train(
    recipe,
    compiled,
    { train: smallSplit('cache-data') },
    {
      epochs: 2,
      threads: 1,
      device: 'cpu',
      compile: (stage, options) => compileCached(stage, options, cache).compiled,
    },
  );
  return result.weights;
}

/** Writes an entry, alters it with `spoil`, and compiles again. */
function spoiled(spoil: (path: string) => void) {
  const dir = tempDir();
  expect(compileCached(recipe, {}, cacheIn(dir)).outcome).toBe('miss');
  const [name] = entries(dir);
  spoil(join(dir, name));
  const again = compileCached(recipe, {}, cacheIn(dir));
  return { dir, name, again };
}

describe('the compiled-graph cache', () => {
  beforeAll(() => {
    const dir = tempDir();
    model = writeSmallMlp(dir);
    recipe = importRecipe();
  });

  it('reads back what compiling gives, and trains (through a stage) to the same weights', async () => {
    const dir = tempDir();
    const cache = cacheIn(dir);
    expect(compileCached(recipe, {}, cache).outcome).toBe('miss');
    const hit = compileCached(recipe, {}, cache);
    expect(hit.outcome).toBe('hit');
    expectFresh(hit.compiled);
    // The graphs an entry does not hold are compiled when asked for.
    expect(Buffer.from(hit.compiled.infer).equals(compileRecipe(recipe).infer)).toBe(true);
    const uncached = await trainedWith(undefined);
    const cold = await trainedWith(cacheIn(tempDir()));
    const warm = await trainedWith(cache);
    // Two stages: the first stage's entry and the second's.
    expect(entries(dir)).toHaveLength(2);
    for (const [name, w] of uncached) {
      expect(cold.get(name)).toEqual(w);
      expect(warm.get(name)).toEqual(w);
    }
  });

  it('compiles again and replaces an entry with a flipped byte', () => {
    const { dir, name, again } = spoiled((path) => {
      const bytes = readFileSync(path);
      bytes[bytes.length - 1000] ^= 0x10;
      writeFileSync(path, bytes);
    });
    expect(again.outcome).toBe('rebuilt');
    expectFresh(again.compiled);
    expect(entries(dir)).toEqual([name]);
    expect(compileCached(recipe, {}, cacheIn(dir)).outcome).toBe('hit');
  });

  it('compiles again and replaces an entry cut short', () => {
    const { dir, again } = spoiled((path) => truncateSync(path, statSync(path).size - 1));
    expect(again.outcome).toBe('rebuilt');
    expectFresh(again.compiled);
    expect(compileCached(recipe, {}, cacheIn(dir)).outcome).toBe('hit');
  });

  it('compiles again and replaces an entry that other code wrote', () => {
    const dir = tempDir();
    compileCached(recipe, {}, cacheIn(dir, 'an older netspec'));
    const [older] = entries(dir);
    const current = `${cacheKey(recipe, {}, cacheIn(dir).code)}.netspec-graphs`;
    expect(current).not.toBe(older);
    renameSync(join(dir, older), join(dir, current));
    const again = compileCached(recipe, {}, cacheIn(dir));
    expect(again.outcome).toBe('rebuilt');
    expectFresh(again.compiled);
  });

  it("keys by the imported model's weights, the options and the code", () => {
    const key = cacheKey(recipe, {}, 'a');
    expect(cacheKey(importRecipe(), {}, 'a')).toBe(key);
    expect(cacheKey(recipe, {}, 'b')).not.toBe(key);
    expect(cacheKey(recipe, { target: 'webgpu' }, 'a')).not.toBe(key);
    const changed = importRecipe();
    const values = changed.model.initial!.get('linear1.weight')!;
    values[3] += 1e-3;
    expect(cacheKey(changed, {}, 'a')).not.toBe(key);
    expect(cacheKey(recipe, {}, 'a')).toBe(key);
  });

  it('writes nothing into a folder netspec did not make, and evicts only its own entries', () => {
    const foreign = tempDir();
    writeFileSync(join(foreign, 'notes.txt'), 'mine');
    expect(compileCached(recipe, {}, cacheIn(foreign)).outcome).toBe('off');
    expect(readdirSync(foreign)).toEqual(['notes.txt']);

    const dir = tempDir();
    compileCached(recipe, {}, cacheIn(dir, 'first'));
    writeFileSync(join(dir, 'user.netspec-graphs'), 'not an entry');
    const size = statSync(
      join(
        dir,
        entries(dir).find((n) => n !== 'user.netspec-graphs')!,
      ),
    ).size;
    // Room for one entry: the older one goes, the user's file stays.
    compileCached(recipe, {}, { ...cacheIn(dir, 'second'), maxBytes: size + 100 });
    const kept = entries(dir);
    expect(kept).toHaveLength(2);
    expect(kept).toContain('user.netspec-graphs');
    expect(kept).toContain(`${cacheKey(recipe, {}, 'second')}.netspec-graphs`);
    expect(existsSync(join(dir, CACHE_MARKER))).toBe(true);
  });

  it('deletes the temporary file of a write killed an hour ago, not a recent one nor a user file', () => {
    const dir = tempDir();
    compileCached(recipe, {}, cacheIn(dir, 'first'));
    const [entry] = entries(dir);
    const bytes = readFileSync(join(dir, entry));
    const hourAgo = new Date(Date.now() - 3700_000);
    const abandoned = `${entry}.tmp-123`;
    writeFileSync(join(dir, abandoned), bytes);
    utimesSync(join(dir, abandoned), hourAgo, hourAgo);
    writeFileSync(join(dir, `${entry}.tmp-456`), bytes);
    writeFileSync(join(dir, `${entry}.tmp-789`), 'the user’s');
    utimesSync(join(dir, `${entry}.tmp-789`), hourAgo, hourAgo);
    compileCached(recipe, {}, cacheIn(dir, 'second'));
    const left = readdirSync(dir);
    expect(left).not.toContain(abandoned);
    expect(left).toContain(`${entry}.tmp-456`);
    expect(left).toContain(`${entry}.tmp-789`);
  });

  it('is off with --no-cache or NETSPEC_NO_CACHE, and under XDG_CACHE_HOME otherwise', () => {
    expect(defaultCache({ XDG_CACHE_HOME: '/x' })?.dir).toBe('/x/netspec/graphs');
    expect(defaultCache({ XDG_CACHE_HOME: '/x', NETSPEC_NO_CACHE: '1' })).toBeUndefined();
    expect(defaultCache({ XDG_CACHE_HOME: '/x' }, false)).toBeUndefined();
  });
});
