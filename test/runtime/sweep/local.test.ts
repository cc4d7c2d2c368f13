// `netspec sweep` on this machine, with real data (Fashion-MNIST subsets) and real processes:
// the seed CNN's 6-trial sweep (specs/fashion-cnn.net, Rates) runs 2 at a time into ordinary
// run folders, a trial's weights are those `netspec train` gives the same settings, a failing
// trial is recorded and the sweep goes on (exit 1), and a sweep killed with SIGKILL mid-trial
// resumes: finished trials skipped, the interrupted one continued from its checkpoint, the
// table equal to an uninterrupted sweep's.
import { spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFashionSubset } from '../../helpers/fashion-files.js';
import { netspec, ROOT, tempDir } from '../../helpers/spec.js';
import { sweepTable } from '../../helpers/sweep.js';

describe('netspec sweep, locally', () => {
  it("runs the seed CNN's 6-trial sweep two at a time, trials as ordinary runs", () => {
    const dir = tempDir();
    writeFashionSubset(dir, { train: 512, test: 256 });
    const spec = join(ROOT, 'specs/fashion-cnn.net');
    const out = join(dir, 'rates');
    const run = netspec(['sweep', spec, 'Rates', '--data', dir, '--parallel', '2', '--out', out]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('sweep Rates: 6 trials; 2 at a time, 1 thread each');
    const rows = sweepTable(out);
    expect(rows.map((r) => r.rank)).toEqual(['1', '2', '3', '4', '5', '6']);
    expect(rows.map((r) => `${r['optimizer.lr']}/${r.seed}`).sort()).toEqual(
      ['0.003/1', '0.003/2', '0.01/1', '0.01/2', '0.03/1', '0.03/2'].sort(),
    );
    for (const r of rows) {
      expect(r.status).toBe('done');
      expect(r.epochs).toBe('2');
    }
    // Ranked by the best test accuracy (no validation split), best first.
    const best = rows.map((r) => Number(r.best_test_accuracy));
    expect(best).toEqual([...best].sort((a, b) => b - a));
    expect(best[0]).toBeGreaterThan(0.5);
    // trial-3 is lr 0.01, seed 2: `netspec train` of the same settings gives the same weights.
    const copy = join(dir, 'copy');
    const text = readFileSync(spec, 'utf8').replace(
      'optimizer = SGD(lr: 0.01, momentum: 0.9)\n  epochs = 2\n  seed = 42',
      'optimizer = SGD(lr: 0.01, momentum: 0.9)\n  epochs = 2\n  seed = 2',
    );
    expect(text).toContain('seed = 2');
    writeFileSync(join(dir, 'fashion-cnn.net'), text);
    const train = netspec(
      [
        'train',
        'fashion-cnn.net',
        '--recipe',
        'Baseline',
        '--data',
        dir,
        '--threads',
        '1',
        '--out',
        copy,
      ],
      dir,
    );
    expect(train.status).toBe(0);
    const trial = readFileSync(join(out, 'trial-3', 'weights.safetensors'));
    expect(Buffer.compare(trial, readFileSync(join(copy, 'weights.safetensors')))).toBe(0);
    for (const file of ['index.html', 'metrics.csv', 'trial.json', 'result.json', 'train.log'])
      expect(existsSync(join(out, 'trial-3', file))).toBe(true);
    expect(existsSync(join(out, 'index.html'))).toBe(true);
    // Run again: everything is finished, nothing trains.
    const again = netspec(['sweep', spec, 'Rates', '--data', dir, '--out', out]);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('6 trials, 6 finished already');
  }, 300_000);

  it('records a failing trial with its error, goes on, and exits 1', () => {
    const dir = tempDir();
    writeFashionSubset(dir, { train: 200, test: 100 });
    copyFileSync(join(ROOT, 'specs/fashion-mlp.net'), join(dir, 'mlp.net'));
    const sweep = `
dataset Elsewhere {
  train = idx("missing/images.gz", "missing/labels.gz")
}
sweep Data over Baseline {
  data = [Elsewhere, Fashion]
  epochs = 1
}
`;
    writeFileSync(join(dir, 'mlp.net'), readFileSync(join(dir, 'mlp.net'), 'utf8') + sweep);
    const run = netspec(['sweep', 'mlp.net', 'Data', '--data', dir, '--out', 'data'], dir);
    expect(run.status).toBe(1);
    const rows = sweepTable(join(dir, 'data'));
    const failed = rows.find((r) => r.data === 'Elsewhere')!;
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/^mlp\.net:\d+:\d+: error NS2001: .*missing\/images\.gz/);
    expect(rows.find((r) => r.data === 'Fashion')!.status).toBe('done');
    expect(run.stdout).toMatch(/trial-0 failed: mlp\.net:\d+:\d+: error NS2001/);
  }, 120_000);

  it('resumes a sweep killed with SIGKILL: finished trials skipped, the interrupted one continued', async () => {
    const dir = tempDir();
    writeFashionSubset(dir, { train: 480, test: 100 });
    // The seed CNN with a checkpoint every 10 steps, so a trial is killed between two.
    const spec = readFileSync(join(ROOT, 'specs/fashion-cnn.net'), 'utf8').replace(
      '  seed = 42\n}',
      '  seed = 42\n  checkpoint "ckpt" every 10 steps\n}',
    );
    const sweep = '\nsweep Seeds over Baseline {\n  seed = [1, 2, 3]\n  data.batch = 16\n}\n';
    writeFileSync(join(dir, 'cnn.net'), spec + sweep);
    const args = ['sweep', 'cnn.net', 'Seeds', '--data', dir, '--threads', '1'];
    const whole = netspec([...args, '--out', 'whole'], dir);
    expect(whole.stderr).toBe('');
    expect(whole.status).toBe(0);
    // Killed (the sweep and its trial, as a crash would) while trial-1 is between checkpoints.
    const killed = join(dir, 'killed');
    const step = (trial: string) => {
      const state = join(killed, trial, 'checkpoints', 'last', 'state.json');
      return existsSync(state)
        ? (JSON.parse(readFileSync(state, 'utf8')) as { step: number }).step
        : 0;
    };
    await killWhen(dir, [...args, '--out', 'killed'], () => step('trial-1') >= 20);
    expect(existsSync(join(killed, 'trial-1', 'result.json'))).toBe(false);
    expect(existsSync(join(killed, 'trial-2'))).toBe(false);
    const finished = statSync(join(killed, 'trial-0', 'result.json')).mtimeMs;
    const resumed = netspec([...args, '--out', 'killed'], dir);
    expect(resumed.stderr).toBe('');
    expect(resumed.status, resumed.stdout).toBe(0);
    expect(resumed.stdout).toContain('3 trials, 1 finished already');
    expect(statSync(join(killed, 'trial-0', 'result.json')).mtimeMs).toBe(finished);
    expect(readFileSync(join(killed, 'trial-1', 'train.log'), 'utf8')).toMatch(
      /trial-1: resuming from step [1-9]\d/,
    );
    expect(sweepTable(killed)).toEqual(sweepTable(join(dir, 'whole')));
    for (const trial of ['trial-0', 'trial-1', 'trial-2']) {
      const a = readFileSync(join(dir, 'whole', trial, 'weights.safetensors'));
      expect(Buffer.compare(a, readFileSync(join(killed, trial, 'weights.safetensors')))).toBe(0);
    }
  }, 300_000);
});

/** Starts `netspec sweep` in a process group of its own and SIGKILLs the group when `ready`. */
function killWhen(cwd: string, args: string[], ready: () => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/netspec.js'), ...args], {
      cwd,
      detached: true,
      stdio: 'ignore',
    });
    let killed = false;
    const timer = setInterval(() => {
      if (!ready()) return;
      clearInterval(timer);
      killed = true;
      // The sweep and its trials (their own groups): every netspec process under `cwd`.
      const pids = netspecPids(cwd);
      for (const pid of pids) process.kill(pid, 'SIGKILL');
      // Resolved once they are gone: a busy machine delivers a SIGKILL when it gets to it.
      const gone = setInterval(() => {
        if (netspecPids(cwd).some((pid) => pids.includes(pid))) return;
        clearInterval(gone);
        resolve();
      }, 20);
    }, 20);
    child.on('exit', (code) => {
      if (killed) return;
      clearInterval(timer);
      reject(new Error(`the sweep ended (exit ${code}) before it could be killed`));
    });
  });
}

/** The netspec processes started in `cwd` (read from /proc). */
function netspecPids(cwd: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const where = readlinkSync(`/proc/${pid}/cwd`);
      const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
      if (cmdline.includes('netspec.js') && where === cwd && state !== 'Z') pids.push(pid);
    } catch {
      // the process ended meanwhile
    }
  }
  return pids;
}
