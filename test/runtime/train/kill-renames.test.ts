// A run killed at any rename it makes — inside a checkpoint write (the new folder not yet in
// place, the old one moved aside), or while writing its weights and report — resumes to the
// same weights, bit for bit, as a run never interrupted, and leaves no temporary folder once
// resumed. strace injects the SIGKILL at the N-th rename(2), for every N the run makes.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeIdxPair } from '../../helpers/idx.js';
import { netspec, ROOT, tempDir } from '../../helpers/spec.js';

const SPEC = `
dataset Tiny {
  train = idx("images", "labels")
}
network MLP {
  input x: [1, 28, 28]
  x -> Flatten -> Linear(784, 16) -> ReLU -> Dropout(0.1) -> Linear(16, 10)
}
train T {
  model = MLP()
  data = Tiny, batch: 16
  loss = cross_entropy
  optimizer = Adam(lr: 0.01)
  epochs = 2
  seed = 1
  checkpoint "ckpt" every 2 steps
}
`;

/** A fresh working folder sharing the data: spec.net, images, labels. */
function workspace(data: string): string {
  const dir = tempDir();
  writeFileSync(join(dir, 'spec.net'), SPEC);
  for (const name of ['images', 'labels']) symlinkSync(join(data, name), join(dir, name));
  return dir;
}

const TRAIN = [join(ROOT, 'bin/netspec.js'), 'train', 'spec.net', '--threads', '1', '--out'];

/** Trains under strace: traced only (`kill` 0), or killed by SIGKILL at the kill-th rename. */
function strace(dir: string, kill: number, log: string) {
  const inject = kill > 0 ? ['-e', `inject=rename:signal=SIGKILL:when=${kill}`] : [];
  const args = ['-f', '-qq', '-e', 'trace=rename', ...inject, '-o', log];
  return spawnSync('strace', [...args, process.execPath, ...TRAIN, 'killed'], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 120_000,
  });
}

describe('killed at every rename', () => {
  it('resumes to bit-identical weights, temporaries cleaned', () => {
    const data = tempDir();
    writeIdxPair(data, 64);
    const whole = workspace(data);
    const traced = strace(whole, 0, join(whole, 'renames.log'));
    expect(traced.error, 'strace is needed (.ci/run installs it)').toBeUndefined();
    expect(traced.status, traced.stderr).toBe(0);
    const expected = readFileSync(join(whole, 'killed/weights.safetensors'));
    const renames = readFileSync(join(whole, 'renames.log'), 'utf8').match(/rename\(/g)!.length;
    // Two per checkpoint (first ones: one), then the weights and each report file.
    expect(renames).toBeGreaterThanOrEqual(15);
    for (let kill = 1; kill <= renames; kill++) {
      const dir = workspace(data);
      const killed = strace(dir, kill, '/dev/null');
      expect(killed.status, `rename ${kill}: ${killed.stderr}`).not.toBe(0);
      const left = existsSync(join(dir, 'ckpt')) ? readdirSync(join(dir, 'ckpt')) : [];
      // Killed before its first checkpoint was whole: nothing to resume, a new run instead.
      const resume = left.length > 0 ? ['--resume', 'ckpt'] : [];
      const again = netspec(
        ['train', 'spec.net', '--threads', '1', '--out', 'again', ...resume],
        dir,
      );
      expect(again.status, `rename ${kill} left ${left.join(', ')}: ${again.stderr}`).toBe(0);
      const weights = readFileSync(join(dir, 'again/weights.safetensors'));
      expect(Buffer.compare(weights, expected), `killed at rename ${kill}: ${left}`).toBe(0);
      expect(readdirSync(join(dir, 'ckpt')).sort()).toEqual(['best', 'last']);
    }
  }, 900_000);
});
