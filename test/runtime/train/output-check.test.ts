// `netspec train` refuses, before anything trains, an output or checkpoint folder it could not
// write (under a file, not writable) and a disk with clearly less free space than a checkpoint.
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileRecipe } from '../../../compiler/index.js';
import { checkOutputs, checkpointBytes } from '../../../runtime/output-check.js';
import { tinySpec, writeIdxPair } from '../../helpers/idx.js';
import { netspec, recipeOf, tempDir } from '../../helpers/spec.js';
import { CODES } from '../../../compiler/index.js';
import { UserError } from '../../../runtime/errors.js';

describe('output checks', () => {
  it('counts a checkpoint as weights plus optimizer state', () => {
    // 784·16 + 16 + 16·10 + 10 floats, and as many momentum buffers
    const compiled = compileRecipe(recipeOf(tinySpec('images', 'labels')));
    const weights = 4 * (784 * 16 + 16 + 16 * 10 + 10);
    expect(checkpointBytes(compiled)).toEqual({ weights, checkpoint: 2 * weights });
  });

  it('refuses too little free space, adding up folders on one file system', () => {
    const dir = tempDir();
    const needs = [
      { dir: join(dir, 'out'), what: 'output folder out', bytes: 600 },
      { dir: join(dir, 'out/ckpt'), what: 'checkpoint folder ckpt', bytes: 1000 },
    ];
    const asked: string[] = [];
    const free = (bytes: number) => (at: string) => (asked.push(at), bytes);
    expect(() => checkOutputs(needs, free(1600))).not.toThrow();
    expect(asked).toEqual([dir]); // the nearest existing folder, once per file system
    expect(() => checkOutputs(needs, free(1599))).toThrow(
      new UserError(
        CODES.outputFolder,
        `output folder out and checkpoint folder ckpt: not enough disk space: 2 KiB free on the file system of ${dir}, a checkpoint needs 2 KiB`,
      ),
    );
    expect(existsSync(join(dir, 'out'))).toBe(false); // the check creates nothing
    expect(readdirSync(dir)).toEqual([]); // and leaves no probe behind
  });

  it('refuses a folder under a file, and a file in place of a folder', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'file'), 'x');
    expect(() =>
      checkOutputs([{ dir: join(dir, 'file/a/b'), what: 'output folder x', bytes: 0 }]),
    ).toThrow(
      `output folder x: cannot create ${dir}/file/a/b: ${dir}/file is a file, not a folder`,
    );
    expect(() =>
      checkOutputs([{ dir: join(dir, 'file'), what: 'output folder x', bytes: 0 }]),
    ).toThrow(`output folder x: ${dir}/file is a file, not a folder`);
  });

  // root writes through permission bits, so this needs an ordinary user
  it.skipIf(process.getuid?.() === 0)('refuses a folder it cannot write', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'locked'));
    chmodSync(join(dir, 'locked'), 0o555);
    try {
      expect(() =>
        checkOutputs([{ dir: join(dir, 'locked/run'), what: 'output folder x', bytes: 0 }]),
      ).toThrow(/cannot write in .*locked \(to create .*locked\/run\) \(EACCES\)/);
    } finally {
      chmodSync(join(dir, 'locked'), 0o755);
    }
  });

  it('netspec train stops before training when --out or the checkpoint folder is under a file', () => {
    const dir = tempDir();
    writeIdxPair(dir, 40);
    writeFileSync(join(dir, 'spec.net'), tinySpec('images', 'labels'));
    writeFileSync(join(dir, 'blocker'), 'a file');
    const out = netspec(['train', 'spec.net', '--out', 'blocker/run'], dir);
    expect(out.status).toBe(1);
    expect(out.stderr).toBe(
      `error NS4002: output folder blocker/run: cannot create blocker/run: ${dir}/blocker is a file, not a folder\n`,
    );
    expect(out.stdout).toBe(''); // not even "training …"
    const spec = tinySpec('images', 'labels').replace(
      'epochs = 1',
      'epochs = 1\n  checkpoint "blocker/ckpt" every 1 epoch',
    );
    writeFileSync(join(dir, 'spec.net'), spec);
    const ckpt = netspec(['train', 'spec.net', '--out', 'run'], dir);
    expect(ckpt.status).toBe(1);
    expect(ckpt.stderr).toBe(
      `error NS4002: checkpoint folder blocker/ckpt: cannot create blocker/ckpt: ${dir}/blocker is a file, not a folder\n`,
    );
    expect(existsSync(join(dir, 'run'))).toBe(false);
  }, 40_000);
});
