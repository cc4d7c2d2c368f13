// netspec replaces and deletes only what it made: a checkpoint folder or a run folder that
// holds the user's files is refused before training, and the files are left as they were.
// Checkpoint copies an interrupted write left are found by resume and tidied by the next run.
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Checkpoint } from '../../../runtime/checkpoint.js';
import { findCheckpoint, tidyCheckpoints, writeCheckpoint } from '../../../runtime/checkpoint.js';
import { tinySpec, writeIdxPair } from '../../helpers/idx.js';
import { netspec, tempDir } from '../../helpers/spec.js';
import { UserError } from '../../../runtime/errors.js';

function checkpoint(step: number): Checkpoint {
  return {
    weights: new Map([['w', { shape: [1], data: Float32Array.of(step) }]]),
    optimizer: new Map(),
    state: {
      format: 'netspec-checkpoint',
      version: 1,
      recipe: 'T',
      epoch: 0,
      step,
      history: [],
      stepsAtEpoch: [],
      control: {
        progress: { epoch: 1, batchesDone: step, lossSum: 0, correct: 0, seen: 0, seconds: 0 },
      },
    },
  };
}

describe('runs replace only what netspec made', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir();
    writeIdxPair(dir, 8);
  });

  it("a spec's checkpoint folder holding the user's `last` is refused, its files kept", () => {
    const precious = join(dir, 'DIR/last/photos/precious.txt');
    mkdirSync(join(dir, 'DIR/last/photos'), { recursive: true });
    writeFileSync(precious, 'irreplaceable');
    const text = tinySpec('images', 'labels').replace(
      'epochs = 1',
      'epochs = 1\n  checkpoint "DIR"',
    );
    writeFileSync(join(dir, 'spec.net'), text);
    const result = netspec(['train', 'spec.net', '--out', 'run1'], dir);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('DIR/last exists and netspec did not write it');
    expect(readFileSync(precious, 'utf8')).toBe('irreplaceable');
    expect(existsSync(join(dir, 'run1'))).toBe(false);
  });

  it('--out into a folder with user files is refused, its files kept', () => {
    const user = join(dir, 'D/checkpoints/last/userfile.txt');
    mkdirSync(join(dir, 'D/checkpoints/last'), { recursive: true });
    writeFileSync(user, 'mine');
    writeFileSync(join(dir, 'plain.net'), tinySpec('images', 'labels'));
    const result = netspec(['train', 'plain.net', '--out', 'D'], dir);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('D exists, is not empty and netspec did not make it');
    expect(readFileSync(user, 'utf8')).toBe('mine');
    expect(readdirSync(join(dir, 'D'))).toEqual(['checkpoints']);
  });

  it('a run folder netspec made is its own to write again; a user folder inside is not', () => {
    writeFileSync(join(dir, 'plain.net'), tinySpec('images', 'labels'));
    expect(netspec(['train', 'plain.net', '--out', 'R'], dir).status).toBe(0);
    expect(existsSync(join(dir, 'R/.netspec-run'))).toBe(true);
    expect(existsSync(join(dir, 'R/checkpoints/last/.netspec-checkpoint'))).toBe(true);
    expect(netspec(['train', 'plain.net', '--out', 'R'], dir).status).toBe(0);
    // The user replaced the best checkpoint with a folder of their own.
    renameSync(join(dir, 'R/checkpoints/best'), join(dir, 'mine'));
    mkdirSync(join(dir, 'R/checkpoints/best'));
    writeFileSync(join(dir, 'R/checkpoints/best/notes.txt'), 'keep');
    const again = netspec(['train', 'plain.net', '--out', 'R'], dir);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('R/checkpoints/best exists and netspec did not write it');
    expect(readFileSync(join(dir, 'R/checkpoints/best/notes.txt'), 'utf8')).toBe('keep');
  });

  it('writeCheckpoint never replaces a folder without its marker', () => {
    const last = join(tempDir(), 'last');
    mkdirSync(last);
    writeFileSync(join(last, 'state.json'), '{}');
    expect(() => writeCheckpoint(last, checkpoint(1))).toThrow(UserError);
    // in its own words, not as a failed write with the catalogue code read as an errno
    expect(() => writeCheckpoint(last, checkpoint(1))).toThrow(/netspec did not write it/);
    expect(readdirSync(last)).toEqual(['state.json']);
  });
});

describe('checkpoint copies an interrupted write left', () => {
  /** `last` at step 2 moved aside as `last.old-P`, the step-4 copy whole as `last.tmp-P`. */
  function betweenRenames(): string {
    const parent = tempDir();
    writeCheckpoint(join(parent, 'last'), checkpoint(2));
    writeCheckpoint(join(parent, 'new'), checkpoint(4));
    renameSync(join(parent, 'last'), join(parent, 'last.old-999999'));
    renameSync(join(parent, 'new'), join(parent, 'last.tmp-999999'));
    return parent;
  }

  it('resume takes the newest whole copy', () => {
    const parent = betweenRenames();
    const found = findCheckpoint(join(parent, 'last'))!;
    expect(found.dir).toBe(join(parent, 'last.tmp-999999'));
    expect(found.checkpoint.state.step).toBe(4);
  });

  it('a copy that is not whole is passed over', () => {
    const parent = betweenRenames();
    writeFileSync(join(parent, 'last.tmp-999999/model.safetensors'), 'truncated');
    expect(findCheckpoint(join(parent, 'last'))!.checkpoint.state.step).toBe(2);
  });

  it('the next run puts the newest copy in place and removes the rest', () => {
    const parent = betweenRenames();
    mkdirSync(join(parent, 'last.tmp-888888')); // not netspec's: left alone
    tidyCheckpoints(parent);
    expect(readdirSync(parent).sort()).toEqual(['last', 'last.tmp-888888']);
    expect(findCheckpoint(join(parent, 'last'))!.checkpoint.state.step).toBe(4);
  });
});
