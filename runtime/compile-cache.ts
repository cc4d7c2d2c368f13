// Compiled training graphs kept between runs: compiling the finetune's graphs writes its frozen
// weights into every graph, seconds that a second start of the same run need not spend again
// (docs/decisions/0023-time-to-first-step.md). An entry is found by a hash of everything the
// graphs follow from — the checked recipe (the spec, its imports and an imported model's
// weights all end up in it), the compile options and netspec's code — and carries a hash of its
// own content, checked on every read: an entry that is stale, cut short or altered is compiled
// again and replaced, never used. netspec writes only into a cache folder it made (its marker)
// and evicts only its own entries, oldest first, past a size bound.
import { createHash, type Hash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  openSync,
  readdirSync,
  readSync,
  readFileSync,
  statSync,
  unlinkSync,
  utimesSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CompiledRecipe, GraphKind, Recipe, StepCompileOptions } from '../compiler/index.js';
import { compileRecipe, GRAPH_KINDS, withGraphs } from '../compiler/index.js';
import { makeFolder, writeFileAtomic } from './writes.js';
import { CACHE_MARKER, mark, owns } from './ownership.js';

/** The first line of every entry; a file without it is not one of netspec's entries. */
const MAGIC = 'netspec-graphs 1\n';
const SUFFIX = '.netspec-graphs';
/** Entries past this total are evicted, oldest first (a ResNet18 stage takes some 135 MB). */
export const CACHE_MAX_BYTES = 2 * 1024 ** 3;

export interface CompileCache {
  dir: string;
  maxBytes: number;
  /** What identifies netspec's code: graphs compiled by other code are not reused. */
  code: string;
}

/** What a compile found in the cache. */
export type CacheOutcome = 'off' | 'hit' | 'miss' | 'rebuilt';

/**
 * The cache `netspec train` uses: `$XDG_CACHE_HOME/netspec/graphs` (`~/.cache/…` without it);
 * none with `--no-cache` or NETSPEC_NO_CACHE=1.
 */
export function defaultCache(env = process.env, enabled = true): CompileCache | undefined {
  if (!enabled || (env.NETSPEC_NO_CACHE ?? '') !== '') return undefined;
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return { dir: join(base, 'netspec', 'graphs'), maxBytes: CACHE_MAX_BYTES, code: codeIdentity() };
}

/**
 * The running code's identity: the names (which carry a content hash in the bundle), sizes and
 * times of the files beside this module; a rebuilt or upgraded netspec differs.
 */
function codeIdentity(): string {
  const dir = dirname(fileURLToPath(import.meta.url));
  const h = createHash('sha256');
  for (const name of readdirSync(dir).sort()) {
    const stat = statSync(join(dir, name));
    h.update(`${name} ${stat.size} ${stat.mtimeMs}\n`);
  }
  return h.digest('hex');
}

/** Compiles `recipe`, or reads its graphs from `cache` when an intact entry has them. */
export function compileCached(
  recipe: Recipe,
  options: StepCompileOptions,
  cache: CompileCache | undefined,
): { compiled: CompiledRecipe; outcome: CacheOutcome } {
  if (!cache || !usable(cache.dir))
    return { compiled: compileRecipe(recipe, options), outcome: 'off' };
  const key = cacheKey(recipe, options, cache.code);
  const path = join(cache.dir, key + SUFFIX);
  const found = existsSync(path);
  const read = found ? readEntry(path, key, () => compileRecipe(recipe, options)) : undefined;
  if (read) {
    touch(path);
    return { compiled: read, outcome: 'hit' };
  }
  const compiled = compileRecipe(recipe, options);
  try {
    writeFileAtomic(path, entryBytes(compiled, key));
    evict(cache.dir, cache.maxBytes, path);
  } catch {
    // A full or read-only disk costs the next start its compile, not this run.
  }
  return { compiled, outcome: found ? 'rebuilt' : 'miss' };
}

/** A folder netspec made (its marker) or may make: the cache is skipped in anyone else's. */
function usable(dir: string): boolean {
  try {
    if (existsSync(dir) && !owns(dir, CACHE_MARKER) && readdirSync(dir).length > 0) return false;
    makeFolder(dir);
    if (!owns(dir, CACHE_MARKER)) mark(dir, CACHE_MARKER);
    return true;
  } catch {
    return false;
  }
}

/** The hash of everything the compiled graphs follow from. */
export function cacheKey(recipe: Recipe, options: StepCompileOptions, code: string): string {
  const h = createHash('sha1');
  h.update(`${MAGIC}${code}\n`);
  hashValue(h, options, new Set());
  hashValue(h, recipe, new Set());
  return h.digest('hex');
}

/**
 * Feeds a value's content to `h`, tagged by kind so that different values never feed the same
 * bytes: typed arrays (weights) as their bytes, objects by sorted keys, Maps by entries.
 * Functions are code (the code identity covers them); a value met again on the current path
 * (a cycle) is marked, not followed.
 */
function hashValue(h: Hash, v: unknown, path: Set<object>): void {
  if (v === null || typeof v !== 'object') {
    if (typeof v === 'function') return void h.update('f');
    return void h.update(`${typeof v}:${String(v)}\u0000`);
  }
  if (ArrayBuffer.isView(v)) {
    h.update(`${v.constructor.name}:${v.byteLength}:`);
    return void h.update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  }
  if (path.has(v)) return void h.update('cycle');
  path.add(v);
  if (v instanceof Map || v instanceof Set || Array.isArray(v)) {
    h.update(`${v.constructor.name}[`);
    for (const item of v instanceof Map ? v.entries() : v.values()) hashValue(h, item, path);
    h.update(']');
  } else {
    h.update('{');
    for (const k of Object.keys(v).sort()) {
      h.update(`${k}=`);
      hashValue(h, (v as Record<string, unknown>)[k], path);
    }
    h.update('}');
  }
  path.delete(v);
}

/** Everything in a CompiledRecipe but its graphs' bytes. */
type Meta = Omit<CompiledRecipe, GraphKind>;

/** The graphs a training run reads: the steps and the eval step (the one-step graph without a Loop). */
const stored = (compiled: CompiledRecipe): GraphKind[] => [
  compiled.steps ? 'steps' : 'train',
  'eval',
];

interface Header {
  key: string;
  sha1: string;
  graphs: GraphKind[];
  /** The byte lengths of the metadata's JSON and of each graph, in order. */
  lengths: number[];
}

/** MAGIC, a JSON header line, then the metadata's JSON and the graphs. */
function entryBytes(compiled: CompiledRecipe, key: string): Buffer {
  // Only the graphs stored are read: reading another would write it as ONNX.
  const meta = Object.fromEntries(
    Object.entries(Object.getOwnPropertyDescriptors(compiled))
      .filter(([name]) => !(GRAPH_KINDS as readonly string[]).includes(name))
      .map(([name, d]) => [name, d.value as unknown]),
  );
  const graphs = stored(compiled);
  const parts = [Buffer.from(JSON.stringify(meta)), ...graphs.map((kind) => compiled[kind]!)];
  const header: Header = { key, sha1: digest(parts), graphs, lengths: parts.map((p) => p.length) };
  return Buffer.concat([Buffer.from(MAGIC + JSON.stringify(header) + '\n'), ...parts]);
}

/**
 * SHA-1 finds a corrupt entry as surely as SHA-256 does and is several times faster here; a
 * forged one is no concern (whoever can write the cache can write a valid entry).
 */
function digest(parts: readonly Uint8Array[]): string {
  const h = createHash('sha1');
  for (const p of parts) h.update(p);
  return h.digest('hex');
}

/**
 * The entry's graphs (those it does not hold compiled when read), or undefined when it is not
 * whole, not for `key`, or not as written.
 */
function readEntry(
  path: string,
  key: string,
  compile: () => CompiledRecipe,
): CompiledRecipe | undefined {
  try {
    const bytes = readFileSync(path);
    if (bytes.subarray(0, MAGIC.length).toString() !== MAGIC) return undefined;
    const end = bytes.indexOf(10, MAGIC.length);
    const header = JSON.parse(bytes.subarray(MAGIC.length, end).toString()) as Header;
    const total = header.lengths.reduce((a, b) => a + b, 0);
    if (header.key !== key || end + 1 + total !== bytes.length) return undefined;
    if (header.lengths.length !== header.graphs.length + 1) return undefined;
    const parts: Uint8Array[] = [];
    let at = end + 1;
    for (const n of header.lengths) parts.push(bytes.subarray(at, (at += n)));
    if (digest(parts) !== header.sha1) return undefined;
    const meta = JSON.parse(Buffer.from(parts[0]).toString()) as Meta;
    const held = new Map(header.graphs.map((kind, i) => [kind, parts[i + 1]]));
    let fresh: CompiledRecipe | undefined;
    const lazily = (kind: GraphKind) => () => (fresh ??= compile())[kind]!;
    const graph = (kind: GraphKind) => held.get(kind) ?? lazily(kind);
    return withGraphs(
      {
        train: graph('train'),
        ...(meta.manifest.graphs.steps && { steps: graph('steps') }),
        eval: graph('eval'),
        infer: graph('infer'),
      },
      meta,
    );
  } catch {
    return undefined;
  }
}

/** Marks an entry as just used, so that eviction takes the least recently used first. */
function touch(path: string): void {
  try {
    const now = new Date();
    utimesSync(path, now, now);
  } catch {
    // read-only: the entry is still good
  }
}

/** A write killed before its rename leaves `<entry>.tmp-<pid>`; one an hour old is abandoned. */
const ABANDONED = /\.netspec-graphs\.tmp-\d+$/;
const ABANDONED_MS = 3600_000;

/**
 * Deletes netspec's own entries, oldest first, until they fit in `maxBytes` (`keep` stays), and
 * its abandoned temporary files.
 */
export function evict(dir: string, maxBytes: number, keep: string): void {
  for (const name of readdirSync(dir).filter((n) => ABANDONED.test(n))) {
    const path = join(dir, name);
    if (Date.now() - statSync(path).mtimeMs > ABANDONED_MS && isEntry(path)) unlinkSync(path);
  }
  const entries = readdirSync(dir)
    .filter((name) => name.endsWith(SUFFIX) && isEntry(join(dir, name)))
    .map((name) => ({ path: join(dir, name), stat: statSync(join(dir, name)) }))
    .sort((a, b) => a.stat.mtimeMs - b.stat.mtimeMs);
  let total = entries.reduce((sum, e) => sum + e.stat.size, 0);
  for (const e of entries) {
    if (total <= maxBytes) return;
    if (e.path === keep) continue;
    unlinkSync(e.path);
    total -= e.stat.size;
  }
}

/** Whether a file begins as netspec's entries do. */
function isEntry(path: string): boolean {
  const head = Buffer.alloc(MAGIC.length);
  try {
    const fd = openSync(path, 'r');
    try {
      readSync(fd, head, 0, MAGIC.length, 0);
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
  return head.toString() === MAGIC;
}
