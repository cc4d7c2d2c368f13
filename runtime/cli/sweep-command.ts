// `netspec sweep <spec> <name>`: the trials of a sweep, run here (`--parallel N` at a time), as
// a Slurm job array (`--slurm`) or a Kubernetes Indexed Job (`--kubernetes`), or one of them in
// this process (`--trial K`, what every runner runs); `--collect` gathers the results.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Device } from '../session.js';
import type { SweepManifest } from '../sweep/folder.js';
import { prepareSweepFolder, readSweepFolder, sweepManifest } from '../sweep/folder.js';
import { collectTrials, ranked, rankingMetric, bestOf } from '../sweep/collect.js';
import { jobManifest, jobYaml } from '../sweep/kubernetes.js';
import { runLocal } from '../sweep/local.js';
import { writeSweepReport } from '../sweep/report.js';
import { onPath, sbatchScript, submit } from '../sweep/slurm.js';
import { dataRoots } from './commands.js';
import { UserError } from '../errors.js';
import { loadSweep } from './load.js';
import { runTrial } from './sweep-trial.js';
import { CODES } from '../../compiler/index.js';

export interface SweepCommandOptions {
  out?: string;
  data: string[];
  threads: number;
  device: Device;
  parallel?: number;
  trial?: number;
  collect?: boolean;
  slurm?: boolean;
  kubernetes?: boolean;
  dryRun?: boolean;
  wait?: boolean;
  cpus: number;
  mem?: string;
  gpus?: number;
  time?: string;
  partition?: string;
  image?: string;
  claim: string;
  mount: string;
  namespace?: string;
  json?: boolean;
}

export async function sweepCommand(
  path: string,
  name: string,
  options: SweepCommandOptions,
): Promise<number> {
  const modes = ['trial', 'collect', 'slurm', 'kubernetes'] as const;
  const chosen = modes.filter((m) => options[m] !== undefined && options[m] !== false);
  if (chosen.length > 1)
    throw new UserError(CODES.commandLine, `choose one of --${chosen.map((m) => m).join(', --')}`);
  const out = options.out ?? join('sweeps', name);
  if (options.collect) return collect(out);
  const { loaded, sweep } = loadSweep(path, name);
  const manifest = sweepManifest(sweep, path);
  if (options.trial !== undefined) {
    const trial = sweep.trials[options.trial];
    if (!trial)
      throw new UserError(
        CODES.commandLine,
        `sweep '${name}' has ${sweep.trials.length} trials (0 to ${sweep.trials.length - 1}); there is no trial ${options.trial}`,
      );
    prepareSweepFolder(out, manifest);
    const roots = dataRoots(options.data);
    return await runTrial(loaded, manifest, trial, { ...options, out, dataRoots: roots });
  }
  if (options.slurm) return slurm(manifest, path, out, options);
  if (options.kubernetes) return kubernetes(manifest, path, out, options);
  prepareSweepFolder(out, manifest);
  const outcome = await runLocal(manifest, {
    command: trialCommand(path, name),
    args: forwarded(out, options),
    out,
    parallel: Math.max(1, options.parallel ?? 1),
    threads: options.threads,
    print: (line) => process.stdout.write(`${line}\n`),
  });
  const code = collect(out);
  if (outcome.interrupted) {
    process.stdout.write('interrupted: run the same command again to continue the sweep\n');
    return 130;
  }
  return code;
}

/** The command that runs one trial, up to its `--trial`: node, netspec, `sweep`, spec, name. */
function trialCommand(path: string, name: string): string[] {
  return [process.execPath, resolve(process.argv[1]), 'sweep', path, name];
}

/** What every trial is told: where the sweep folder is, where data is, which device. */
function forwarded(out: string, options: SweepCommandOptions): string[] {
  const data = options.data.flatMap((d) => ['--data', d]);
  return ['--out', out, ...data, '--device', options.device];
}

/** Writes sweep.csv and index.html; 1 when a trial failed or has not finished. */
function collect(out: string): number {
  const manifest = readSweepFolder(out);
  const rows = collectTrials(out, manifest);
  const page = writeSweepReport(out, manifest, rows);
  const metric = rankingMetric(rows);
  const [best] = ranked(rows);
  const failed = rows.filter((r) => r.result?.status === 'failed');
  const unfinished = rows.filter((r) => !r.result);
  const score = best && bestOf(best, metric);
  if (best?.result && score !== undefined) {
    const settings = best.trial.settings.map((s) => `${s.key} = ${s.value}`).join(', ');
    const split = metric === 'valAccuracy' ? 'validation' : 'test';
    process.stdout.write(
      `best: ${best.trial.name} (${settings}), ${split} accuracy ${(100 * score).toFixed(2)}%\n`,
    );
  }
  for (const r of failed) process.stdout.write(`${r.trial.name} failed: ${r.result!.error}\n`);
  if (unfinished.length > 0)
    process.stdout.write(
      `${unfinished.length} of ${rows.length} trials have not finished: ${unfinished.map((r) => r.trial.name).join(', ')}\n`,
    );
  process.stdout.write(`table ${join(out, 'sweep.csv')}; report ${page}\n`);
  return failed.length > 0 || unfinished.length > 0 ? 1 : 0;
}

function slurm(
  manifest: SweepManifest,
  path: string,
  out: string,
  options: SweepCommandOptions,
): number {
  const command = [...trialCommand(path, manifest.sweep), ...forwarded(resolve(out), options)];
  const script = sbatchScript(manifest, command, out, options);
  if (options.dryRun) {
    process.stdout.write(script);
    return 0;
  }
  if (!onPath('sbatch'))
    throw new UserError(
      CODES.commandLine,
      "--slurm needs Slurm's sbatch on the PATH, and it is not there (--dry-run prints the script without it)",
    );
  prepareSweepFolder(out, manifest);
  // Slurm opens each task's output file but makes no folders.
  mkdirSync(join(out, 'slurm'), { recursive: true });
  const file = join(out, 'sweep.sbatch');
  writeFileSync(file, script);
  const submitted = submit(file, options.wait ?? false);
  process.stdout.write(`${submitted.output}\n`);
  if (!submitted.ok && !options.wait) throw new UserError(CODES.scheduler, `sbatch ${file} failed`);
  if (options.wait) return collect(out);
  process.stdout.write(
    `wrote ${file}; when the tasks have run: netspec sweep ${path} ${manifest.sweep} --collect --out ${out}\n`,
  );
  return 0;
}

function kubernetes(
  manifest: SweepManifest,
  path: string,
  out: string,
  options: SweepCommandOptions,
): number {
  if (!options.image)
    throw new UserError(
      CODES.commandLine,
      '--kubernetes needs --image: an image with netspec (and the data, or a volume with it)',
    );
  const args = ['sweep', path, manifest.sweep, ...forwarded(out, options)];
  const job = jobManifest(manifest, args, {
    ...options,
    image: options.image,
    netspec: ['netspec'],
  });
  const yaml = jobYaml(job);
  if (options.dryRun) {
    process.stdout.write(yaml);
    return 0;
  }
  prepareSweepFolder(out, manifest);
  const file = join(out, 'job.yaml');
  writeFileSync(file, yaml);
  process.stdout.write(
    `wrote ${file}; submit it with: kubectl apply -f ${file}\nthen, when the Job has completed: netspec sweep ${path} ${manifest.sweep} --collect --out ${out}\n`,
  );
  return 0;
}
