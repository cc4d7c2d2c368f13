// Mounts test/helpers/stall_fs.py: a FUSE file system whose files never answer a read (or a
// stat, or a read past their start), like a mount whose NFS server is gone.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './spec.js';

export interface Stall {
  unmount: () => void;
}

const mounted = (mountpoint: string) =>
  readFileSync('/proc/self/mounts', 'utf8').includes(` ${mountpoint} fuse`);

/** What never answers: a read, a stat, or a read from byte N on (`after:N`). */
export type StallMode = 'read' | 'getattr' | `after:${number}`;

/**
 * Mounts at `mountpoint` the files named by `files`' keys, with the bytes of the files its values
 * name, stalling as `mode` says; resolves once the mount is there.
 */
export async function mountStall(
  python: string,
  mountpoint: string,
  files: Record<string, string>,
  mode: StallMode,
): Promise<Stall> {
  const script = join(ROOT, 'test/helpers/stall_fs.py');
  const pairs = Object.entries(files).map(([name, content]) => `${name}=${content}`);
  const daemon = spawn(python, [script, mountpoint, mode, ...pairs], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  daemon.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const deadline = Date.now() + 10_000;
  while (!mounted(mountpoint)) {
    if (daemon.exitCode !== null || Date.now() > deadline)
      throw new Error(`stall_fs.py did not mount ${mountpoint}: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { unmount: () => unmount(daemon, mountpoint) };
}

/**
 * Kills the daemon first: its connection's end fails every request still waiting (a process
 * stuck in one can exit then), and the mount is left to detach.
 */
function unmount(daemon: ChildProcess, mountpoint: string): void {
  daemon.kill('SIGKILL');
  spawnSync('umount', ['-l', mountpoint]);
}
