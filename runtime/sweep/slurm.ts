// `--slurm`: the sweep as a Slurm job array, one array task per trial (`--array=0-(K-1)`), each
// running `netspec sweep … --trial $SLURM_ARRAY_TASK_ID` with the task's CPUs as threads. The
// sweep folder must be on a filesystem the nodes share; `--collect` gathers it afterwards.
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import type { SweepManifest } from './folder.js';

export interface ClusterResources {
  /** CPUs per trial (Slurm's --cpus-per-task, Kubernetes' cpu request). */
  cpus: number;
  /** Memory per trial: Slurm's `--mem` (e.g. `4G`), Kubernetes' quantity (e.g. `4Gi`). */
  mem?: string;
  gpus?: number;
  /** Trials running at once (Slurm's `%N` array throttle, Kubernetes' parallelism). */
  parallel?: number;
}

export interface SlurmOptions extends ClusterResources {
  partition?: string;
  /** Slurm's --time, e.g. `1:00:00`. */
  time?: string;
}

/** Shell-quoted, so paths with spaces or quotes survive. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The sbatch script. `command` runs one trial up to its `--trial` argument (node, netspec.js,
 * `sweep`, the spec, the sweep's name, `--out`, …); paths are made absolute, since tasks start
 * in the submission folder only because the script says so.
 */
export function sbatchScript(
  manifest: SweepManifest,
  command: string[],
  out: string,
  options: SlurmOptions,
): string {
  const last = manifest.trials.length - 1;
  const throttle = options.parallel ? `%${options.parallel}` : '';
  const lines = [
    '#!/bin/bash',
    `#SBATCH --job-name=netspec-${manifest.sweep}`,
    `#SBATCH --array=0-${last}${throttle}`,
    `#SBATCH --chdir=${resolve('.')}`,
    `#SBATCH --output=${join(resolve(out), 'slurm', '%A_%a.out')}`,
    `#SBATCH --cpus-per-task=${options.cpus}`,
    ...(options.mem ? [`#SBATCH --mem=${options.mem}`] : []),
    ...(options.time ? [`#SBATCH --time=${options.time}`] : []),
    ...(options.partition ? [`#SBATCH --partition=${options.partition}`] : []),
    ...(options.gpus ? [`#SBATCH --gpus-per-task=${options.gpus}`] : []),
    `# netspec sweep ${manifest.sweep} of ${manifest.spec}: ${manifest.trials.length} trials, one array task each.`,
    `exec ${command.map(shellQuote).join(' ')} --trial "$SLURM_ARRAY_TASK_ID" --threads "\${SLURM_CPUS_PER_TASK:-1}"`,
  ];
  return lines.join('\n') + '\n';
}

/** Whether an executable of that name is on the PATH. */
export function onPath(name: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Runs sbatch on the script; its output (`Submitted batch job N`) or its error. */
export function submit(script: string, wait: boolean): { ok: boolean; output: string } {
  const args = [...(wait ? ['--wait'] : []), script];
  const run = spawnSync('sbatch', args, { encoding: 'utf8' });
  const output = `${run.stdout ?? ''}${run.stderr ?? ''}`.trim();
  return { ok: run.status === 0, output: output || String(run.error ?? '') };
}
