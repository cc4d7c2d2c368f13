// A real one-node Slurm cluster for tests (Debian's slurmctld, slurmd, slurm-client and munge,
// which .ci/run installs), entirely inside a temporary folder: its own munge key and socket,
// slurm.conf and cgroup.conf, state, spool, logs and free ports, so it touches nothing of the
// machine's own Slurm or munge setup. Clients find it through SLURM_CONF in `env`.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, hostname, totalmem } from 'node:os';
import { join } from 'node:path';
import { tempDir } from './spec.js';

const DAEMONS = ['munged', 'slurmctld', 'slurmd'];
const CLIENTS = ['sbatch', 'squeue', 'sinfo'];

function installed(name: string): boolean {
  return ['/usr/sbin', '/usr/bin', '/sbin', '/bin'].some((dir) => existsSync(join(dir, name)));
}

/** Why a cluster cannot be started here (for `it.skipIf`), or undefined when it can. */
export function slurmMissing(): string | undefined {
  const missing = [...DAEMONS, ...CLIENTS].filter((n) => !installed(n));
  if (missing.length > 0)
    return `Slurm is not installed (no ${missing.join(', ')}; .ci/run installs slurmctld slurmd slurm-client munge)`;
  if (process.getuid?.() !== 0) return 'a test Slurm cluster runs its daemons as root';
  return undefined;
}

export interface SlurmCluster {
  /** The environment clients (sbatch, squeue, netspec --slurm) need. */
  env: NodeJS.ProcessEnv;
  dir: string;
  /** Waits until no job is queued or running (the array has ended), at most `seconds`. */
  waitIdle(seconds: number): Promise<void>;
  stop(): void;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(),
      );
    });
  });
}

function slurmConf(dir: string, host: string, ports: [number, number]): string {
  const memory = Math.floor((totalmem() / 2 ** 20) * 0.8);
  return [
    'ClusterName=netspectest',
    `SlurmctldHost=${host}`,
    'SlurmUser=root',
    'SlurmdUser=root',
    'AuthType=auth/munge',
    `AuthInfo=socket=${dir}/munge.sock`,
    'CredType=cred/munge',
    'ProctrackType=proctrack/linuxproc',
    'TaskPlugin=task/none',
    'SelectType=select/cons_tres',
    'SelectTypeParameters=CR_CPU',
    'SchedulerType=sched/builtin',
    'JobAcctGatherType=jobacct_gather/none',
    'MpiDefault=none',
    `SlurmctldPort=${ports[0]}`,
    `SlurmdPort=${ports[1]}`,
    `StateSaveLocation=${dir}/state`,
    `SlurmdSpoolDir=${dir}/spool`,
    `SlurmctldPidFile=${dir}/slurmctld.pid`,
    `SlurmdPidFile=${dir}/slurmd.pid`,
    `SlurmctldLogFile=${dir}/slurmctld.log`,
    `SlurmdLogFile=${dir}/slurmd.log`,
    'ReturnToService=2',
    `NodeName=${host} CPUs=${availableParallelism()} RealMemory=${memory} State=UNKNOWN`,
    'PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP',
  ].join('\n');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startSlurm(): Promise<SlurmCluster> {
  const dir = tempDir('netspec-slurm-');
  chmodSync(dir, 0o755);
  for (const sub of ['state', 'spool']) mkdirSync(join(dir, sub));
  const host = hostname().split('.')[0];
  writeFileSync(join(dir, 'munge.key'), randomBytes(1024), { mode: 0o400 });
  const conf = join(dir, 'slurm.conf');
  writeFileSync(conf, slurmConf(dir, host, [await freePort(), await freePort()]));
  // cgroup/v1 with IgnoreSystemd works in a container; `disabled` makes slurmd fail.
  writeFileSync(join(dir, 'cgroup.conf'), 'CgroupPlugin=cgroup/v1\nIgnoreSystemd=yes\n');
  const env = { ...process.env, SLURM_CONF: conf };
  const stop = () => {
    for (const daemon of [...DAEMONS].reverse()) {
      const pidFile = join(dir, `${daemon}.pid`);
      if (!existsSync(pidFile)) continue;
      try {
        process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGTERM');
      } catch {
        // already gone
      }
    }
  };
  try {
    execFileSync('munged', [
      '--force',
      `--key-file=${dir}/munge.key`,
      `--socket=${dir}/munge.sock`,
      `--pid-file=${dir}/munged.pid`,
      `--log-file=${dir}/munged.log`,
      `--seed-file=${dir}/munged.seed`,
    ]);
    execFileSync('slurmctld', ['-f', conf], { env });
    execFileSync('slurmd', ['-f', conf], { env });
    await untilIdleNode(env, dir);
  } catch (e) {
    stop();
    throw e;
  }
  return {
    env,
    dir,
    waitIdle: (seconds) => untilNoJobs(env, seconds),
    stop: () => {
      stop();
      rmSync(join(dir, 'munge.key'), { force: true });
    },
  };
}

async function untilIdleNode(env: NodeJS.ProcessEnv, dir: string): Promise<void> {
  for (let i = 0; i < 60; i++) {
    const state = spawnSync('sinfo', ['-h', '-o', '%T'], { env, encoding: 'utf8' }).stdout.trim();
    if (state === 'idle') return;
    await sleep(500);
  }
  const log = readFileSync(join(dir, 'slurmd.log'), 'utf8').split('\n').slice(-5).join('\n');
  throw new Error(`the test Slurm node did not become idle; slurmd.log ends:\n${log}`);
}

async function untilNoJobs(env: NodeJS.ProcessEnv, seconds: number): Promise<void> {
  for (let waited = 0; waited < seconds * 2; waited++) {
    const queue = spawnSync('squeue', ['-h'], { env, encoding: 'utf8' }).stdout.trim();
    if (queue === '') return;
    await sleep(500);
  }
  throw new Error(`Slurm jobs still queued after ${seconds} s`);
}
