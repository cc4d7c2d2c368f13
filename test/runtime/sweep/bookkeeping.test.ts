// A sweep reads its own bookkeeping (manifest, trial files, metrics, logs) through
// runtime/files.ts like every other file: something that is not a regular file in its place is a
// clear error naming it, never a hang or a raw system error; a trial's log is read from its end.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileError, readTail } from '../../../runtime/files.js';
import { collectTrials } from '../../../runtime/sweep/collect.js';
import type { SweepManifest, TrialEntry } from '../../../runtime/sweep/folder.js';
import { readSweepFolder } from '../../../runtime/sweep/folder.js';
import { tempDir } from '../../helpers/spec.js';

/** The error `run` throws. */
function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (e) {
    return e;
  }
  throw new Error('nothing was thrown');
}

describe("a sweep's bookkeeping files", () => {
  it('a manifest that is a named pipe is refused, not read', () => {
    const dir = tempDir();
    const fifo = join(dir, 'sweep.json');
    execFileSync('mkfifo', [fifo]);
    // A writer, so that a reader which opens the pipe gets an answer instead of hanging.
    const writer = spawn('sh', ['-c', `printf '{}' > "${fifo}"`]);
    try {
      const error = thrown(() => readSweepFolder(dir));
      expect(error).toBeInstanceOf(FileError);
      expect((error as Error).message).toBe(`${fifo}: is a named pipe, not a regular file`);
    } finally {
      writer.kill();
    }
  });

  it("a trial's metrics that are a folder are a FileError naming them", () => {
    const dir = tempDir();
    const trial: TrialEntry = { index: 0, name: 'trial-0', settings: [] } as unknown as TrialEntry;
    mkdirSync(join(dir, 'trial-0/metrics.jsonl'), { recursive: true });
    const manifest = { trials: [trial] } as unknown as SweepManifest;
    const error = thrown(() => collectTrials(dir, manifest));
    expect(error).toBeInstanceOf(FileError);
    expect((error as Error).message).toContain('metrics.jsonl: is a folder, not a file');
  });

  it("reads a log's end only, a character cut in two dropped", () => {
    const log = join(tempDir(), 'train.log');
    writeFileSync(log, `${'é'.repeat(3_000_000)}\nlast line: NS2001 gone\n`);
    const tail = readTail(log, 'log', 101);
    expect(tail.length).toBeLessThanOrEqual(101);
    expect(tail).toMatch(/^é+\nlast line: NS2001 gone\n$/);
    expect(readTail(log, 'log', 10 ** 9).length).toBe(3_000_000 + 24);
  });
});
