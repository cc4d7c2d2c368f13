// The sweep folder, the one place every runner (local processes, Slurm array tasks, Kubernetes
// pods) writes to and `--collect` reads from: `sweep.json` (which sweep, its trials and their
// settings), one ordinary run folder per trial with `trial.json` (its settings) and, once it has
// ended, `result.json`. A folder netspec did not make is never written into.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { SweepSpec } from '../../compiler/index.js';
import { errnoOf, readText } from '../files.js';
import { writeFileAtomic } from '../writes.js';
import { mark, RUN_MARKER } from '../ownership.js';
import { CODES } from '../../compiler/index.js';
import { UserError } from '../errors.js';

export interface TrialEntry {
  index: number;
  name: string;
  settings: { key: string; value: string }[];
}

export interface SweepManifest {
  format: 'netspec-sweep';
  version: 1;
  spec: string;
  sweep: string;
  recipe: string;
  keys: string[];
  trials: TrialEntry[];
}

/** How a trial ended. A diverged trial is a result (its stop reason says where), not a failure. */
export interface TrialResult {
  status: 'done' | 'diverged' | 'failed';
  /** Why training stopped early (a stop condition, early stopping, divergence). */
  stopped?: string;
  /** What went wrong, for a failed trial: the message the user would have seen. */
  error?: string;
}

const MANIFEST = 'sweep.json';
const encoder = new TextEncoder();

export function sweepManifest(sweep: SweepSpec, specPath: string): SweepManifest {
  return {
    format: 'netspec-sweep',
    version: 1,
    spec: specPath,
    sweep: sweep.name,
    recipe: sweep.recipe,
    keys: sweep.keys,
    trials: sweep.trials.map(({ index, name, settings }) => ({ index, name, settings })),
  };
}

/**
 * Makes `dir` the sweep's folder, or checks that it already is: a folder holding another sweep,
 * or other trials (the spec's values changed since), or files that are not a sweep's, is refused.
 */
export function prepareSweepFolder(dir: string, manifest: SweepManifest): void {
  const existing = readManifestIfAny(dir);
  if (existing) {
    const problem = difference(existing, manifest);
    if (problem)
      throw new UserError(
        CODES.sweepFolder,
        `${dir} holds ${problem}; choose another folder with --out`,
      );
    return;
  }
  if (existsSync(dir) && readdirSync(dir).length > 0)
    throw new UserError(
      CODES.sweepFolder,
      `${dir} is not empty and holds no sweep (no ${MANIFEST}); netspec does not write into it — choose another folder with --out`,
    );
  mkdirSync(dir, { recursive: true });
  writeJson(join(dir, MANIFEST), manifest);
}

export function readSweepFolder(dir: string): SweepManifest {
  const manifest = readManifestIfAny(dir);
  if (!manifest)
    throw new UserError(CODES.sweepFolder, `${dir}: not a sweep folder (no ${MANIFEST})`);
  return manifest;
}

function readManifestIfAny(dir: string): SweepManifest | undefined {
  const path = join(dir, MANIFEST);
  if (!existsSync(path)) return undefined;
  const parsed = readJson(path) as Partial<SweepManifest> | undefined;
  if (parsed?.format !== 'netspec-sweep' || !Array.isArray(parsed.trials))
    throw new UserError(CODES.sweepFolder, `${path}: not a netspec sweep manifest`);
  return parsed as SweepManifest;
}

/** What differs between the sweep a folder holds and this one, in words; undefined: the same. */
function difference(held: SweepManifest, wanted: SweepManifest): string | undefined {
  if (held.sweep !== wanted.sweep) return `sweep '${held.sweep}', not '${wanted.sweep}'`;
  if (held.trials.length !== wanted.trials.length)
    return `${held.trials.length} trials of sweep '${held.sweep}', the spec now gives ${wanted.trials.length}`;
  const shown = (t: TrialEntry) => t.settings.map((s) => `${s.key} = ${s.value}`).join(', ');
  const changed = wanted.trials.find((t, i) => shown(t) !== shown(held.trials[i]));
  if (!changed) return undefined;
  const was = held.trials[changed.index];
  return `${was.name} with ${shown(was)}, the spec now gives ${shown(changed)}`;
}

export function trialDir(dir: string, trial: { name: string }): string {
  return join(dir, trial.name);
}

/** How the trial ended, or undefined when it has not (never started, running, interrupted). */
export function readResult(dir: string, trial: TrialEntry): TrialResult | undefined {
  const path = join(trialDir(dir, trial), 'result.json');
  return existsSync(path) ? (readJson(path) as TrialResult | undefined) : undefined;
}

/** Done or diverged: nothing more to run. A failed trial is run again. */
export function isFinished(result: TrialResult | undefined): boolean {
  return result?.status === 'done' || result?.status === 'diverged';
}

/** A trial's folder with its settings, before it runs; a folder of other settings is refused. */
export function startTrialFolder(dir: string, trial: TrialEntry): void {
  const folder = trialDir(dir, trial);
  const path = join(folder, 'trial.json');
  const held = existsSync(path) ? (readJson(path) as TrialEntry | undefined) : undefined;
  if (held && JSON.stringify(held.settings) !== JSON.stringify(trial.settings))
    throw new UserError(CODES.sweepFolder, `${folder} holds a trial with other settings`);
  mkdirSync(folder, { recursive: true });
  // The trial's run folder is netspec's: its training may write into it (ownership.ts).
  mark(folder, RUN_MARKER);
  rmSync(join(folder, 'result.json'), { force: true });
  if (!held) writeJson(path, trial);
}

export function writeResult(dir: string, trial: TrialEntry, result: TrialResult): void {
  writeJson(join(trialDir(dir, trial), 'result.json'), result);
}

/**
 * Claims a trial for this process (`running.json`: host and pid), so that two runners on one
 * machine never train one trial at once. A claim whose process is gone (killed) is taken over,
 * and so is one from another host: schedulers run one task per index, so a task there that
 * left its claim behind has been replaced by this one. Returns the release.
 */
export function claimTrial(dir: string, trial: TrialEntry): () => void {
  const path = join(trialDir(dir, trial), 'running.json');
  const claim = JSON.stringify({ host: hostname(), pid: process.pid });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, claim, { flag: 'wx' });
      return () => rmSync(path, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const held = readJson(path) as { host: string; pid: number } | undefined;
    if (held && running(held))
      throw new UserError(
        CODES.sweepFolder,
        `${trialDir(dir, trial)} is being run by process ${held.pid}; wait for it to end`,
      );
    rmSync(path, { force: true });
  }
  throw new UserError(
    CODES.sweepFolder,
    `${trialDir(dir, trial)} is being claimed by another process`,
  );
}

/**
 * Whether a claim's process is still running on this host. A killed process whose parent died
 * too stays in the process table as a zombie until it is reaped; it runs nothing.
 */
function running(claim: { host: string; pid: number }): boolean {
  if (claim.host !== hostname()) return false;
  try {
    process.kill(claim.pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !zombie(claim.pid);
}

/** Linux's process state 'Z' in /proc/PID/stat (elsewhere: not known, so not a zombie). */
function zombie(pid: number): boolean {
  try {
    // Not through files.ts: procfs gives its files the size 0, and the kernel writes this one.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

function writeJson(path: string, value: unknown): void {
  writeFileAtomic(path, encoder.encode(JSON.stringify(value, null, 1) + '\n'));
}

/**
 * A bookkeeping file's JSON, or undefined when it is gone (a claim released meanwhile) or not
 * JSON (a write cut short). A file that cannot be read (a named pipe, a folder, past its limit)
 * is a FileError that says so.
 */
function readJson(path: string): unknown {
  let text: string;
  try {
    text = readText(path, 'sweep');
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') return undefined;
    throw e;
  }
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
