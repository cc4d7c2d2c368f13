// `netspec sweep --slurm` on a real one-node Slurm cluster (test/helpers/slurm.ts): the sweep is
// submitted as a job array, each array task runs one trial, and `--collect` gathers a table equal
// to a local run of the same sweep (same seeds, same metrics). Without Slurm, `--slurm` says in
// one line what is missing, and `--dry-run` prints the script.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFashionSubset } from '../../helpers/fashion-files.js';
import type { SlurmCluster } from '../../helpers/slurm.js';
import { slurmMissing, startSlurm } from '../../helpers/slurm.js';
import { netspec, ROOT, tempDir } from '../../helpers/spec.js';
import { sweepTable } from '../../helpers/sweep.js';

const SWEEP = `
sweep Small over Baseline {
  optimizer.lr = [0.01, 0.05]
  seed = [1, 2]
  model.hidden = 32
  epochs = 1
}
`;

function sweepDir(): string {
  const dir = tempDir();
  writeFashionSubset(dir, { train: 300, test: 100 });
  const spec = readFileSync(join(ROOT, 'specs/fashion-mlp.net'), 'utf8');
  writeFileSync(join(dir, 'mlp.net'), spec + SWEEP);
  return dir;
}

const missing = slurmMissing();

describe.skipIf(missing !== undefined)(`netspec sweep --slurm ${missing ?? ''}`, () => {
  let cluster: SlurmCluster;
  beforeAll(async () => {
    cluster = await startSlurm();
  });
  afterAll(() => cluster?.stop());

  it('runs a job array whose collected table equals a local run of the sweep', async () => {
    const dir = sweepDir();
    const local = netspec(['sweep', 'mlp.net', 'Small', '--threads', '1', '--out', 'local'], dir);
    expect(local.status).toBe(0);
    const submitted = netspec(
      ['sweep', 'mlp.net', 'Small', '--slurm', '--cpus', '1', '--time', '10:00', '--out', 'slurm'],
      dir,
      cluster.env,
    );
    expect(submitted.stderr).toBe('');
    expect(submitted.status).toBe(0);
    expect(submitted.stdout).toMatch(/^Submitted batch job \d+$/m);
    const script = readFileSync(join(dir, 'slurm', 'sweep.sbatch'), 'utf8');
    expect(script).toContain('#SBATCH --array=0-3\n');
    await cluster.waitIdle(240);
    const outputs = readdirSync(join(dir, 'slurm', 'slurm')).filter((f) => f.endsWith('.out'));
    expect(outputs).toHaveLength(4);
    const collected = netspec(['sweep', 'mlp.net', 'Small', '--collect', '--out', 'slurm'], dir);
    expect(collected.stderr).toBe('');
    expect(collected.status).toBe(0);
    const rows = sweepTable(join(dir, 'slurm'));
    expect(rows.map((r) => r.status)).toEqual(['done', 'done', 'done', 'done']);
    expect(rows).toEqual(sweepTable(join(dir, 'local')));
  }, 600_000);
});

describe('netspec sweep --slurm without Slurm', () => {
  it('says in one line that sbatch is missing, and writes nothing', () => {
    const dir = sweepDir();
    const env = { ...process.env, PATH: '/nonexistent' };
    const result = netspec(['sweep', 'mlp.net', 'Small', '--slurm', '--out', 'x'], dir, env);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(
      "error NS4001: --slurm needs Slurm's sbatch on the PATH, and it is not there (--dry-run prints the script without it)\n",
    );
    expect(existsSync(join(dir, 'x'))).toBe(false);
  });

  it('--dry-run prints the array script with the resources asked for', () => {
    const dir = sweepDir();
    const env = { ...process.env, PATH: '/nonexistent' };
    const args = ['--slurm', '--dry-run', '--cpus', '4', '--mem', '8G', '--time', '2:00:00'];
    const result = netspec(
      ['sweep', 'mlp.net', 'Small', ...args, '--partition', 'gpu', '--parallel', '2', '--out', 'x'],
      dir,
      env,
    );
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe('#!/bin/bash');
    for (const line of [
      '#SBATCH --job-name=netspec-Small',
      '#SBATCH --array=0-3%2',
      `#SBATCH --chdir=${dir}`,
      `#SBATCH --output=${join(dir, 'x', 'slurm', '%A_%a.out')}`,
      '#SBATCH --cpus-per-task=4',
      '#SBATCH --mem=8G',
      '#SBATCH --time=2:00:00',
      '#SBATCH --partition=gpu',
    ])
      expect(lines).toContain(line);
    const exec = lines.find((l) => l.startsWith('exec '))!;
    expect(exec).toContain(`sweep mlp.net Small --out ${join(dir, 'x')} --device cpu`);
    expect(exec).toContain('--trial "$SLURM_ARRAY_TASK_ID" --threads "${SLURM_CPUS_PER_TASK:-1}"');
    expect(existsSync(join(dir, 'x'))).toBe(false);
  });
});
