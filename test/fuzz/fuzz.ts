// What every fuzz suite shares: how many runs and which seed (fixed in CI; `npm run fuzz` sets
// NETSPEC_FUZZ_RUNS, a factor on every property's runs, and NETSPEC_FUZZ_SEED=random), mutations
// of valid seed bytes that get past a format's first check, and the one verdict every input must
// get: success, or exit 1 with a positioned message and no stack trace, promptly, in bounded
// memory, with nothing outside the output folder changed.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import fc from 'fast-check';
import { expect } from 'vitest';
import { UserError } from '../../runtime/errors.js';
import { netspec, type CliResult } from '../helpers/spec.js';

const FACTOR = Math.max(1, Number(process.env.NETSPEC_FUZZ_RUNS ?? 1) || 1);
const CHOSEN = process.env.NETSPEC_FUZZ_SEED;
const SEED = CHOSEN === 'random' ? Date.now() % 2 ** 31 : CHOSEN ? Number(CHOSEN) : 20261204;
if (FACTOR > 1 || CHOSEN) console.log(`fuzz: seed ${SEED}, runs ×${FACTOR}`);

/** fast-check's settings for a property that runs `ciRuns` times in CI. */
export function fuzzRuns(ciRuns: number): { seed: number; numRuns: number } {
  return { seed: SEED, numRuns: ciRuns * FACTOR };
}

/** A test's time limit: a hang guard of `perRun` ms per run, generously. */
export const hangGuard = (ciRuns: number, perRun: number) => 20_000 + ciRuns * FACTOR * perRun;

/** Numbers at the edges, as text: what parsers of counts, sizes and offsets trip on. */
export const EDGE_NUMBERS = [
  '0',
  '-1',
  '1',
  '255',
  '256',
  '65536',
  '2147483647',
  '2147483648',
  '4294967296',
  '9007199254740992',
  '1e308',
  '1e999',
  '-0',
  '0.5',
  'NaN',
  'Infinity',
  '',
];

/** The same edges as 32-bit words, as binary headers hold them. */
const EDGE_WORDS = [0, 1, 0x7f, 0x80, 0xff, 0x7fffffff, 0x80000000, 0xffffffff];

type Mutation = (bytes: Buffer) => Buffer;

const at = (bytes: Buffer, position: number) => (bytes.length === 0 ? 0 : position % bytes.length);

/**
 * One change to a valid file: a flipped byte, a cut, a repeated or removed stretch, an edge
 * value written over a 32-bit word (either byte order) or a decimal number, or a piece of
 * another seed spliced in. Most changes land near the start, where headers are.
 */
function mutation(others: Buffer[]): fc.Arbitrary<Mutation> {
  const position = fc.oneof(fc.nat({ max: 64 }), fc.nat());
  return fc.oneof(
    fc.tuple(position, fc.integer({ min: 1, max: 255 })).map(([p, x]) => (b: Buffer) => {
      const copy = Buffer.from(b);
      if (copy.length > 0) copy[at(b, p)] ^= x;
      return copy;
    }),
    position.map((p) => (b: Buffer) => b.subarray(0, at(b, p))),
    fc.tuple(position, fc.nat({ max: 4096 })).map(([p, n]) => (b: Buffer) => {
      const start = at(b, p);
      return Buffer.concat([b.subarray(0, start), b.subarray(start + n)]);
    }),
    fc.tuple(position, fc.nat({ max: 512 })).map(([p, n]) => (b: Buffer) => {
      const start = at(b, p);
      const piece = b.subarray(start, start + n);
      return Buffer.concat([b.subarray(0, start), piece, piece, b.subarray(start)]);
    }),
    fc
      .tuple(position, fc.constantFrom(...EDGE_WORDS), fc.boolean())
      .map(([p, word, big]) => (b: Buffer) => {
        const copy = Buffer.from(b);
        const start = at(b, p);
        if (start + 4 > copy.length) return copy;
        if (big) copy.writeUInt32BE(word, start);
        else copy.writeUInt32LE(word, start);
        return copy;
      }),
    fc.tuple(fc.nat(), fc.constantFrom(...EDGE_NUMBERS)).map(([n, edge]) => (b: Buffer) => {
      const text = b.toString('latin1');
      const numbers = [...text.matchAll(/-?\d+(\.\d+)?(e[+-]?\d+)?/gi)];
      if (numbers.length === 0) return b;
      const hit = numbers[n % numbers.length];
      const end = hit.index + hit[0].length;
      return Buffer.from(text.slice(0, hit.index) + edge + text.slice(end), 'latin1');
    }),
    fc.tuple(position, fc.nat(), fc.nat({ max: 256 })).map(([p, q, n]) => (b: Buffer) => {
      if (others.length === 0) return b;
      const other = others[q % others.length];
      const from = at(other, q);
      const start = at(b, p);
      return Buffer.concat([
        b.subarray(0, start),
        other.subarray(from, from + n),
        b.subarray(start),
      ]);
    }),
  );
}

/** A seed with one to four mutations applied; `others` are spliced from. */
export function mutated(seeds: Buffer[], others: Buffer[] = seeds): fc.Arbitrary<Buffer> {
  return fc
    .tuple(fc.constantFrom(...seeds), fc.array(mutation(others), { minLength: 1, maxLength: 4 }))
    .map(([seed, changes]) => changes.reduce((bytes, change) => change(bytes), seed));
}

/** A JSON value with one field replaced by an edge value, at any depth. */
export function mutatedJson(seed: unknown): fc.Arbitrary<unknown> {
  const leaves = fc.constantFrom<unknown>(
    null,
    0,
    -1,
    2 ** 31,
    2 ** 53,
    1e308,
    'NaN',
    '',
    'many',
    '../../etc/passwd',
    [],
    {},
    [1, 2],
    true,
  );
  const paths = (value: unknown, prefix: (string | number)[] = []): (string | number)[][] =>
    value !== null && typeof value === 'object'
      ? Object.entries(value).flatMap(([k, v]) => {
          const key = Array.isArray(value) ? Number(k) : k;
          return [[...prefix, key], ...paths(v, [...prefix, key])];
        })
      : [];
  const all = paths(seed);
  return fc
    .array(fc.tuple(fc.nat(), leaves, fc.boolean()), { minLength: 1, maxLength: 3 })
    .map((changes) => {
      const copy = structuredClone(seed) as Record<string | number, unknown>;
      for (const [n, leaf, remove] of changes) {
        const path = all[n % all.length];
        let parent = copy;
        for (const key of path.slice(0, -1)) {
          const next = parent?.[key];
          if (next === null || typeof next !== 'object') break;
          parent = next as Record<string | number, unknown>;
        }
        const key = path[path.length - 1];
        if (parent === null || typeof parent !== 'object') continue;
        if (remove) delete parent[key];
        else parent[key] = structuredClone(leaf);
      }
      return copy;
    });
}

/** What leaks when an error escapes unhandled. */
export const TRACE = /\n\s+at |\b[A-Z]\w*Error\b|Cannot read|node:internal/;

/**
 * A line as the CLI prints an error: a file (with its line and column when known) then what is
 * wrong, or a code then the file.
 */
const POSITIONED = /^(\S*[./]\S*?(:\d+(:\d+)?)?: |error NS\d{4}: \S+)/m;

/** A child's verdict: success, or exit 1 with one positioned error and no stack trace. */
export function expectCleanExit(result: CliResult, input: string): void {
  const said = `${input}\n--- stderr ---\n${result.stderr}`;
  expect(result.status, `killed by the hang guard or a crash: ${said}`).not.toBeNull();
  expect([0, 1], said).toContain(result.status);
  expect(result.stderr, said).not.toMatch(TRACE);
  if (result.status === 1) expect(result.stderr, said).toMatch(POSITIONED);
}

/** Memory a child may use: a bound, not a goal (a bomb or a leak ends it, exit 134). */
export const CHILD_ENV = { ...process.env, NODE_OPTIONS: '--max-old-space-size=1024' };

/** Runs the CLI in `dir` with a hang guard of 30 s and bounded heap. */
export const fuzzCli = (args: string[], dir: string) => netspec(args, dir, CHILD_ENV, 30_000);

/** An in-process verdict: success, or a UserError whose message names one of `files`. */
export function expectUserError(run: () => unknown, ...files: string[]): void {
  try {
    run();
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    expect(
      files.some((f) => e.message.includes(f)),
      `${e.message} names none of ${files}`,
    ).toBe(true);
    expect(e.message).not.toMatch(TRACE);
  }
}

/** Names, sizes and modification times of everything under `dir`, except under `skip`. */
export function snapshot(dir: string, skip: string[] = []): Map<string, string> {
  const seen = new Map<string, string>();
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      const name = relative(dir, path);
      if (skip.some((s) => name === s || name.startsWith(`${s}/`))) continue;
      const stat = statSync(path, { throwIfNoEntry: false });
      seen.set(name, `${stat?.size}:${stat?.mtimeMs}`);
      if (entry.isDirectory()) walk(path);
    }
  };
  walk(dir);
  return seen;
}

/** Runs `act`, then asserts nothing under `dir` outside `skip` was added, changed or removed. */
export function expectUntouched<T>(dir: string, skip: string[], act: () => T): T {
  const before = snapshot(dir, skip);
  const result = act();
  expect(Object.fromEntries(snapshot(dir, skip))).toEqual(Object.fromEntries(before));
  return result;
}
