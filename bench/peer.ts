// The PyTorch peer of `npm run bench`, made fair and compared fairly. Debian's python3-torch
// calls whatever BLAS `libblas.so.3` resolves to (update-alternatives), so the peer says which
// one its process mapped, and a ratio against the reference BLAS says that it is one. Where
// OPENBLAS_CORETYPE or OPENBLAS_L2_SIZE is set (they pin an older, slower OpenBLAS kernel), each
// peer run is timed with them and with both unset, and the faster counts. Every ratio comes
// from rounds that interleave netspec and the peer in this one bench invocation (the order
// alternating), so load from other processes falls on both alike; the spread is printed.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { median } from './language.js';

const SYSTEM_FASHION = '/usr/share/datasets/fashion-mnist';
const PYTHON = '/usr/bin/python3';
/** The peer scripts' folder, from the sources (tests) or from dist/bench (`npm run bench`). */
const BENCH = [import.meta.dirname, resolve(import.meta.dirname, '../../bench')].find((dir) =>
  existsSync(resolve(dir, 'peer.py')),
)!;
const PINNING = ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE'];

export interface Blas {
  kind: 'openblas' | 'reference' | 'other' | 'none';
  library: string | null;
  config?: string;
  core?: string;
}

/** One way of running the peer: its environment, and what it changes, for the printout. */
interface PeerEnvironment {
  name: string;
  env: NodeJS.ProcessEnv;
}

export interface Peer {
  torch: string;
  blas: Blas;
  environments: PeerEnvironment[];
  threads: number;
}

function python(args: string[], env: NodeJS.ProcessEnv): unknown {
  const result = spawnSync(PYTHON, args, { encoding: 'utf8', env, cwd: BENCH });
  if (result.status !== 0) return undefined;
  return JSON.parse(result.stdout) as unknown;
}

/**
 * The peer on this machine, or undefined without PyTorch: its BLAS, and the environments each
 * of its runs is timed in (both with and without the OpenBLAS pinning variables where the
 * machine sets them and the BLAS is OpenBLAS; OpenBLAS's own threads pinned to the peer's).
 */
export function findPeer(threads: number): Peer | undefined {
  const env: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_NUM_THREADS: String(threads) };
  const probe = python([resolve(BENCH, 'peer.py')], env) as
    { blas: Blas; torch: string } | undefined;
  if (!probe) return undefined;
  const pinned = PINNING.filter((name) => process.env[name] !== undefined);
  const environments = [{ name: 'as set', env }];
  if (probe.blas.kind === 'openblas' && pinned.length > 0) {
    const unpinned = { ...env };
    for (const name of pinned) delete unpinned[name];
    environments.push({ name: `${pinned.join(', ')} unset`, env: unpinned });
  }
  return { ...probe, environments, threads };
}

/** The peer's one-line description: its BLAS, and how the pinning variables are handled. */
export function peerLine(peer: Peer | undefined): string {
  if (!peer) return 'PyTorch peer: not measured (no /usr/bin/python3 with torch)';
  const { blas } = peer;
  const library = `libblas.so.3 → ${blas.library}`;
  const which =
    blas.kind === 'openblas'
      ? `${blas.config} (${library})`
      : blas.kind === 'reference'
        ? `the REFERENCE BLAS (netlib, ${library}): not a fair peer, its Linear layers run unoptimized; ` +
          `README.md says how to install OpenBLAS`
        : `${blas.library ?? 'no BLAS mapped'} (unrecognized)`;
  const pinned = PINNING.filter((name) => process.env[name] !== undefined)
    .map((name) => `${name}=${process.env[name]}`)
    .join(' ');
  const pinning =
    peer.environments.length > 1
      ? `; ${pinned} set here: each peer run is timed with them and with both unset, the faster counts`
      : '';
  return `PyTorch peer: torch ${peer.torch}, ${peer.threads} threads, BLAS ${which}${pinning}`;
}

interface PeerRun {
  imagesPerSecond: number;
  blas: Blas;
}

function peerRun(script: string, args: string[], environment: PeerEnvironment): PeerRun {
  const path = resolve(BENCH, script);
  const run = python([path, SYSTEM_FASHION, ...args], environment.env) as
    { images_per_second: number; blas: Blas } | undefined;
  if (!run) throw new Error(`${script} failed (${environment.name})`);
  return { imagesPerSecond: run.images_per_second, blas: run.blas };
}

export interface Comparison {
  netspec: number[];
  /** Per round, the faster of the peer's environments. */
  peer: number[];
  /** Per environment (and the OpenBLAS kernel it ran), its images/s in each round. */
  byEnvironment: Record<string, number[]>;
  /** Per round, netspec ÷ the peer. */
  ratios: number[];
  blas: Blas;
}

/**
 * `rounds` rounds of one netspec measurement and one peer run per environment, the order
 * alternating between rounds; netspec alone without a peer.
 */
export async function interleaved(
  peer: Peer | undefined,
  netspec: () => Promise<number>,
  script: string,
  args: string[],
  rounds: number,
): Promise<Comparison> {
  const comparison: Comparison = {
    netspec: [],
    peer: [],
    byEnvironment: {},
    ratios: [],
    blas: peer?.blas ?? { kind: 'none', library: null },
  };
  for (let round = 0; round < rounds; round++) {
    const peerRuns = () =>
      (peer?.environments ?? []).map((environment) => {
        const run = peerRun(script, [String(peer!.threads), ...args], environment);
        const name = environment.name + (run.blas.core ? ` (${run.blas.core} kernel)` : '');
        (comparison.byEnvironment[name] ??= []).push(run.imagesPerSecond);
        if (run.blas.library !== comparison.blas.library) comparison.blas = run.blas;
        return run.imagesPerSecond;
      });
    let torch: number[];
    let ours: number;
    if (round % 2 === 0) {
      ours = await netspec();
      torch = peerRuns();
    } else {
      torch = peerRuns();
      ours = await netspec();
    }
    comparison.netspec.push(ours);
    if (torch.length === 0) continue;
    const fastest = Math.max(...torch);
    comparison.peer.push(fastest);
    comparison.ratios.push(ours / fastest);
  }
  return comparison;
}

const fmt = (x: number, digits = 0) =>
  x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

const spread = (xs: number[], digits = 0) =>
  `${fmt(median(xs), digits)} (${fmt(Math.min(...xs), digits)}–${fmt(Math.max(...xs), digits)})`;

/**
 * "netspec N images/s = R× PyTorch (…)": medians over the rounds with their range. A ratio
 * against any BLAS but OpenBLAS says so in the same line.
 */
export function comparisonText(c: Comparison): string {
  if (c.peer.length === 0)
    return `${spread(c.netspec)} images/s (median (range) of ${c.netspec.length} runs); PyTorch not measured`;
  const environments = Object.entries(c.byEnvironment);
  const perEnvironment =
    environments.length > 1
      ? ` [${environments.map(([name, xs]) => `${name}: ${fmt(median(xs))}`).join(', ')}]`
      : '';
  const unfair =
    c.blas.kind === 'openblas' ? '' : ` AGAINST PyTorch ON THE ${c.blas.kind.toUpperCase()} BLAS`;
  return (
    `${spread(c.netspec)} images/s = ${spread(c.ratios, 2)}×${unfair} PyTorch ` +
    `(${spread(c.peer)} images/s${perEnvironment}; median (range) of ${c.ratios.length} interleaved rounds)`
  );
}
