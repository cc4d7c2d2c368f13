// Before a run starts: can it write where it will write? A folder under a file, a folder that
// cannot be written, or a disk with clearly less free space than one checkpoint would otherwise
// fail only after the first epoch — or, for space, leave the run without a checkpoint. The
// checks write nothing but a probe file they delete, and create no folders.
import { closeSync, openSync, statfsSync, statSync, unlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { CompiledRecipe } from '../compiler/index.js';
import { CODES } from '../compiler/index.js';
import { UserError } from './errors.js';

/** Free bytes of the file system holding a folder (fs.statfs; injectable for tests). */
export type FreeSpace = (dir: string) => number;

export const freeSpace: FreeSpace = (dir) => {
  const s = statfsSync(dir);
  return Number(s.bavail) * Number(s.bsize);
};

/** What a run writes into a folder, and how many bytes it needs there at least. */
export interface OutputNeed {
  dir: string;
  /** How the user named it, for the message: "--out runs/T", "checkpoint folder ckpt". */
  what: string;
  bytes: number;
}

/** Bytes of one checkpoint of a compiled recipe: its weights and its optimizer state, float32. */
export function checkpointBytes(compiled: CompiledRecipe): { weights: number; checkpoint: number } {
  const size = (shape: (number | string)[]) =>
    4 * shape.reduce<number>((n, d) => n * (typeof d === 'number' ? d : 1), 1);
  const weights = compiled.manifest.parameters.reduce((n, p) => n + size(p.shape), 0);
  const optimizer = compiled.manifest.graphs.train.inputs
    .filter((i) => i.role.kind === 'state')
    .reduce((n, i) => n + size(i.shape), 0);
  return { weights, checkpoint: weights + optimizer };
}

/** The folder itself when it exists, else its nearest existing ancestor. */
function existingAncestor(dir: string): string {
  let current = resolve(dir);
  for (;;) {
    try {
      statSync(current);
      return current;
    } catch {
      const parent = dirname(current);
      if (parent === current) return current;
      current = parent;
    }
  }
}

const formatBytes = (n: number) =>
  n >= 1 << 30
    ? `${(n / (1 << 30)).toFixed(1)} GiB`
    : n >= 1 << 20
      ? `${(n / (1 << 20)).toFixed(1)} MiB`
      : `${Math.ceil(n / 1024)} KiB`;

/**
 * Throws a UserError (NS4002) naming the first folder the run could not write, or whose file system
 * has clearly too little free space for what the run writes there (several folders on one
 * file system add up).
 */
export function checkOutputs(needs: OutputNeed[], free: FreeSpace = freeSpace): void {
  const byDevice = new Map<number, { at: string; bytes: number; what: string[] }>();
  for (const need of needs) {
    const at = existingAncestor(need.dir);
    const stat = statSync(at);
    if (!stat.isDirectory()) {
      throw new UserError(
        CODES.outputFolder,
        at === resolve(need.dir)
          ? `${need.what}: ${need.dir} is a file, not a folder`
          : `${need.what}: cannot create ${need.dir}: ${at} is a file, not a folder`,
      );
    }
    // Permission bits alone say nothing to root or about a read-only mount: try a file.
    const probe = join(at, `.netspec-write-check-${process.pid}`);
    try {
      closeSync(openSync(probe, 'wx'));
      unlinkSync(probe);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const where = at === resolve(need.dir) ? need.dir : `${at} (to create ${need.dir})`;
      throw new UserError(CODES.outputFolder, `${need.what}: cannot write in ${where} (${code})`);
    }
    const entry = byDevice.get(stat.dev) ?? { at, bytes: 0, what: [] };
    entry.bytes += need.bytes;
    entry.what.push(need.what);
    byDevice.set(stat.dev, entry);
  }
  for (const { at, bytes, what } of byDevice.values()) {
    const available = free(at);
    if (available < bytes) {
      throw new UserError(
        CODES.outputFolder,
        `${what.join(' and ')}: not enough disk space: ${formatBytes(available)} free on the file system of ${at}, a checkpoint needs ${formatBytes(bytes)}`,
      );
    }
  }
}
