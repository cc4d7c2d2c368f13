// The disk filling while the report is written: one error naming the file, every file left in
// the run folder whole, no temporary behind.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';

vi.mock('node:fs', async (original) => {
  const fs = await original<typeof import('node:fs')>();
  return {
    ...fs,
    writeFileSync: (...args: Parameters<typeof fs.writeFileSync>) => {
      if (String(args[0]).includes('metrics.csv')) {
        fs.writeFileSync(args[0], 'epoch,tr'); // what a full disk leaves: part of the file
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), {
          code: 'ENOSPC',
        });
      }
      return fs.writeFileSync(...args);
    },
  };
});

const { writeReport } = await import('../../../runtime/report/report.js');
const { WriteError } = await import('../../../runtime/writes.js');
const { tempDir } = await import('../../helpers/spec.js');

describe('writing the report on a full disk', () => {
  it('one error naming the file; what is there is whole', () => {
    const dir = tempDir();
    const history = [
      { epoch: 1, trainLoss: 1, trainAccuracy: 0.5, lr: 0.1, imagesPerSecond: 10, seconds: 1 },
    ];
    const input = { recipe: 'T', specPath: 'x.net', sources: new Map(), history, header: [] };
    expect(() => writeReport(dir, input)).toThrow(
      new WriteError(`${join(dir, 'metrics.csv')}: cannot write (the disk is full)`),
    );
    const files = readdirSync(dir);
    expect(files.filter((f) => f.includes('.tmp-'))).toEqual([]);
    expect(files).not.toContain('metrics.csv');
    for (const svg of files.filter((f) => f.endsWith('.svg')))
      expect(readFileSync(join(dir, svg), 'utf8').trimEnd()).toMatch(/<\/svg>$/);
  });
});
