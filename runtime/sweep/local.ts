// Runs a sweep's trials on this machine, `parallel` at a time, each as `netspec sweep … --trial K`
// in a child process of its own (its output in the trial's `train.log`), with the cores divided
// among them. Each child runs in its own process group: Ctrl-C reaches this process once, and it
// passes it on once, so every running trial writes a checkpoint and stops. Children also stop
// (with a checkpoint) when this process dies, through their IPC channel.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { readTail } from '../files.js';
import type { SweepManifest, TrialEntry } from './folder.js';
import { isFinished, readResult, trialDir, writeResult } from './folder.js';

export interface LocalRun {
  /** The command that runs one trial: `[node, netspec.js, 'sweep', spec, name]`. */
  command: string[];
  /** Arguments every trial gets (`--out`, `--data`, `--device`). */
  args: string[];
  out: string;
  parallel: number;
  /** onnxruntime threads per trial; 0: the cores divided among the parallel trials. */
  threads: number;
  print: (line: string) => void;
}

export interface LocalOutcome {
  failed: number;
  interrupted: boolean;
}

export function threadsPerTrial(parallel: number, threads: number): number {
  return threads > 0 ? threads : Math.max(1, Math.floor(availableParallelism() / parallel));
}

export async function runLocal(manifest: SweepManifest, run: LocalRun): Promise<LocalOutcome> {
  const pending = manifest.trials.filter((t) => !isFinished(readResult(run.out, t)));
  const skipped = manifest.trials.length - pending.length;
  const threads = threadsPerTrial(run.parallel, run.threads);
  run.print(
    `sweep ${manifest.sweep}: ${manifest.trials.length} trials` +
      (skipped ? `, ${skipped} finished already` : '') +
      `; ${Math.min(run.parallel, pending.length)} at a time, ${threads} thread${threads === 1 ? '' : 's'} each`,
  );
  const children = new Set<ReturnType<typeof spawn>>();
  let interrupted = false;
  const onInterrupt = () => {
    interrupted = true;
    for (const child of children) child.kill('SIGINT');
  };
  process.on('SIGINT', onInterrupt);
  let failed = 0;
  const queue = [...pending];
  const worker = async () => {
    for (let trial = queue.shift(); trial && !interrupted; trial = queue.shift()) {
      const ok = await runChild(trial, manifest, run, threads, children);
      if (!ok) failed++;
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, run.parallel) }, worker));
  } finally {
    process.off('SIGINT', onInterrupt);
  }
  return { failed, interrupted };
}

/** One trial in a child process; false when it failed. */
function runChild(
  trial: TrialEntry,
  manifest: SweepManifest,
  run: LocalRun,
  threads: number,
  children: Set<ReturnType<typeof spawn>>,
): Promise<boolean> {
  const settings = trial.settings.map((s) => `${s.key} = ${s.value}`).join(', ');
  run.print(`${trial.name} (${settings}): started`);
  const log = join(trialDir(run.out, trial), 'train.log');
  const [node, ...script] = run.command;
  const args = [...script, '--trial', String(trial.index), '--threads', String(threads)];
  const started = Date.now();
  return new Promise((resolve) => {
    openLog(run.out, trial, log, (fd) => {
      const child = spawn(node, [...args, ...run.args], {
        stdio: ['ignore', fd, fd, 'ipc'],
        detached: true,
        env: { ...process.env, NETSPEC_LOADER_WORKERS: loaderWorkers(threads) },
      });
      children.add(child);
      child.on('exit', (code, signal) => {
        children.delete(child);
        closeSync(fd);
        const seconds = ((Date.now() - started) / 1000).toFixed(1);
        if (code === 130 || signal === 'SIGINT') {
          run.print(`${trial.name}: interrupted after ${seconds} s; checkpoint kept`);
          return resolve(true);
        }
        const result = readResult(run.out, trial);
        if (code !== 0 && result?.status !== 'failed') {
          // It died without saying why (a crash, the out-of-memory killer): its log does.
          const error = `exited with ${signal ?? `code ${code}`}; see ${log}: ${lastLine(log)}`;
          writeResult(run.out, trial, { status: 'failed', error });
        }
        const ended = readResult(run.out, trial);
        const how = ended?.status === 'failed' ? `failed: ${ended.error}` : ended?.status;
        run.print(`${trial.name}: ${how} (${seconds} s)`);
        resolve(ended?.status !== 'failed');
      });
    });
  });
}

/** The trial's log, appended to (a resumed trial keeps what it printed before). */
function openLog(out: string, trial: TrialEntry, log: string, use: (fd: number) => void): void {
  mkdirSync(trialDir(out, trial), { recursive: true });
  use(openSync(log, 'a'));
}

/** Loader workers for a trial with `threads` cores: as `netspec train` chooses for that many. */
function loaderWorkers(threads: number): string {
  return process.env.NETSPEC_LOADER_WORKERS ?? String(Math.max(0, Math.min(4, threads - 2)));
}

/** Enough of a log's end for its last line. */
const TAIL_BYTES = 64 * 1024;

function lastLine(path: string): string {
  try {
    const lines = readTail(path, 'log', TAIL_BYTES).trim().split('\n');
    return lines[lines.length - 1] ?? '';
  } catch {
    return '';
  }
}
