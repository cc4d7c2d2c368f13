// Mounts test/helpers/stall_fs.py: a FUSE file system whose files never answer a read (or a
// stat), like a mount whose NFS server is gone.
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

/**
 * Mounts at `mountpoint` files `stalled.net` and `stalled.onnx` with `content`'s size, whose
 * `read` (or `getattr`, their stat) sleeps forever; resolves once the mount is there.
 */
export async function mountStall(
  python: string,
  mountpoint: string,
  content: string,
  mode: 'read' | 'getattr',
): Promise<Stall> {
  const script = join(ROOT, 'test/helpers/stall_fs.py');
  const names = ['stalled.net', 'stalled.onnx'];
  const daemon = spawn(python, [script, mountpoint, content, mode, ...names], {
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
