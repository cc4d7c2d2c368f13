// Interrupting a run at a random step (SIGKILL, no chance to clean up) and resuming it from its
// last checkpoint ends with the same weights, bit for bit, as a run that was never interrupted.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../compiler/index.js';
import { writeIdxPair } from '../../helpers/idx.js';
import { netspec, ROOT, tempDir } from '../../helpers/spec.js';

const spec = (checkpoints: string) => `
dataset Tiny {
  train = idx("images", "labels")
  validation = split(train, 10%, seed: 3)
}
network Wide {
  input x: [1, 28, 28]
  x -> Flatten -> Linear(784, 512) -> ReLU -> Dropout(0.2) -> Linear(512, 10)
}
train T {
  model = Wide()
  data = Tiny, batch: 16
  loss = cross_entropy
  optimizer = Adam(lr: 0.001)
  schedule = exponential(gamma: 0.9)
  epochs = 3
  seed = 5
  checkpoint "${checkpoints}" every 10 steps
}
`;

function stepOf(dir: string): number {
  const state = join(dir, 'last', 'state.json');
  if (!existsSync(state)) return -1;
  try {
    return JSON.parse(readFileSync(state, 'utf8')).step;
  } catch {
    return -1; // caught between writes: never, since folders are renamed into place
  }
}

/** Starts training and SIGKILLs it once its checkpoint has reached `step`. */
function killAt(dir: string, checkpoints: string, step: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [join(ROOT, 'bin/netspec.js'), 'train', 'spec.net', '--threads', '1', '--out', 'killed'],
      { cwd: dir },
    );
    const timer = setInterval(() => {
      const reached = stepOf(checkpoints);
      if (reached >= step) {
        child.kill('SIGKILL');
        clearInterval(timer);
        resolve(reached);
      }
    }, 5);
    child.on('exit', (code) => {
      clearInterval(timer);
      if (code !== null) reject(new Error(`training finished (exit ${code}) before step ${step}`));
    });
  });
}

describe('resume', () => {
  it('continues a killed run exactly', async () => {
    const dir = tempDir();
    writeIdxPair(dir, 2000);
    writeFileSync(join(dir, 'spec.net'), spec('ckpt'));
    const whole = netspec(['train', 'spec.net', '--threads', '1', '--out', 'whole'], dir);
    expect(whole.stderr).toBe('');
    expect(whole.status).toBe(0);
    const steps = 3 * Math.ceil(1800 / 16);
    const target = 10 * (2 + new Rng(Date.now() % 100000).below(Math.floor(steps / 20)));
    writeFileSync(join(dir, 'spec.net'), spec('ckpt2'));
    const reached = await killAt(dir, join(dir, 'ckpt2'), target);
    expect(reached).toBeLessThan(steps);
    const resumed = netspec(
      ['train', 'spec.net', '--threads', '1', '--out', 'resumed', '--resume', 'ckpt2/last'],
      dir,
    );
    expect(resumed.stderr).toBe('');
    expect(resumed.status).toBe(0);
    const a = readFileSync(join(dir, 'whole/weights.safetensors'));
    const b = readFileSync(join(dir, 'resumed/weights.safetensors'));
    expect(b.length).toBe(a.length);
    expect(Buffer.compare(a, b), `killed at step ${reached}`).toBe(0);
    const metrics = (run: string) =>
      readFileSync(join(dir, run, 'metrics.jsonl'), 'utf8')
        .split('\n')
        .map((l) => l && JSON.parse(l).trainLoss);
    expect(metrics('resumed')).toEqual(metrics('whole'));
  }, 120_000);

  it('refuses a checkpoint of another model, listing the mismatches', () => {
    const dir = tempDir();
    writeIdxPair(dir, 200);
    writeFileSync(join(dir, 'spec.net'), spec('ckpt'));
    expect(netspec(['train', 'spec.net', '--epochs', '1', '--out', 'a'], dir).status).toBe(0);
    writeFileSync(join(dir, 'spec.net'), spec('ckpt').replace(/512/g, '256'));
    const result = netspec(['train', 'spec.net', '--resume', 'ckpt/last', '--out', 'b'], dir);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      "'linear1.weight' has shape [512, 784], the spec needs [256, 784]",
    );
    expect(existsSync(join(dir, 'b'))).toBe(false);
  });

  it('refuses a corrupt checkpoint (checksum), naming the file', () => {
    const dir = tempDir();
    writeIdxPair(dir, 200);
    writeFileSync(join(dir, 'spec.net'), spec('ckpt'));
    expect(netspec(['train', 'spec.net', '--epochs', '1', '--out', 'a'], dir).status).toBe(0);
    const model = join(dir, 'ckpt/last/model.safetensors');
    const bytes = readFileSync(model);
    bytes[bytes.length - 5] ^= 0xff;
    writeFileSync(model, bytes);
    const result = netspec(['train', 'spec.net', '--resume', 'ckpt/last', '--out', 'b'], dir);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(
      `error NS4003: ckpt/last/model.safetensors: corrupt or truncated (checksum mismatch); not loaded\n`,
    );
    expect(existsSync(join(dir, 'b'))).toBe(false);
  });
});
