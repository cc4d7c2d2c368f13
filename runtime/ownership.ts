// What netspec may replace or delete: only folders it made. Each run folder and each
// checkpoint folder gets a marker file when netspec creates it; a folder without one is the
// user's, and netspec neither writes its outputs over it nor deletes anything in it.
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync, unlinkSync } from 'node:fs';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CODES } from '../compiler/index.js';
import { UserError } from './errors.js';

export const RUN_MARKER = '.netspec-run';
export const CHECKPOINT_MARKER = '.netspec-checkpoint';
export const CACHE_MARKER = '.netspec-cache';

const MARKER_TEXT: Record<string, string> = {
  [RUN_MARKER]: 'netspec made this run folder and rewrites its outputs when it trains again.\n',
  [CHECKPOINT_MARKER]: 'netspec made this checkpoint folder and replaces it with the next one.\n',
  [CACHE_MARKER]:
    'netspec made this folder for compiled graphs; it deletes its own entries here, oldest first.\n',
};

export const owns = (dir: string, marker: string) => existsSync(join(dir, marker));

/** Writes the marker into a folder netspec has just made (or found empty). */
export function mark(dir: string, marker: string): void {
  writeFileSync(join(dir, marker), MARKER_TEXT[marker]);
}

/**
 * A run folder netspec may write into: one that does not exist yet, is empty, or has the
 * marker. Throws a UserError (NS4002) otherwise; writes nothing.
 */
export function checkRunFolder(dir: string, what: string): void {
  if (!existsSync(dir) || owns(dir, RUN_MARKER)) return;
  if (!statSync(dir).isDirectory()) return; // output-check.ts reports a file in the way
  if (readdirSync(dir).length === 0) return;
  throw new UserError(
    CODES.outputFolder,
    `${what}: ${dir} exists, is not empty and netspec did not make it (it has no ${RUN_MARKER}); ` +
      'netspec writes a run only into a new, empty or netspec-made folder',
  );
}

/** Makes the run folder (or adopts an empty one) and marks it; checkRunFolder passed before. */
export function claimRunFolder(dir: string): void {
  mkdirSync(dir, { recursive: true });
  if (!owns(dir, RUN_MARKER)) mark(dir, RUN_MARKER);
}

/** Throws a UserError (NS4002) when `dir` exists without the checkpoint marker. */
export function checkCheckpointFolder(dir: string): void {
  if (!existsSync(dir) || owns(dir, CHECKPOINT_MARKER)) return;
  throw new UserError(
    CODES.outputFolder,
    `${dir} exists and netspec did not write it (it has no ${CHECKPOINT_MARKER}); ` +
      'netspec does not replace it: move it, or write checkpoints to another folder',
  );
}

/**
 * Deletes a marked folder's `files` (in the order given: the one that makes it whole first),
 * then the marker and the folder, so an interrupted removal never leaves a folder that looks
 * whole, nor one without its marker. Anything else found there stays, with the marker.
 */
export function removeOwned(dir: string, marker: string, files: readonly string[]): void {
  if (!owns(dir, marker)) return;
  for (const name of files) {
    try {
      unlinkSync(join(dir, name));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  if (readdirSync(dir).some((name) => name !== marker)) return;
  unlinkSync(join(dir, marker));
  rmdirSync(dir);
}
