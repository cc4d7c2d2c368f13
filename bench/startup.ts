// Startup figures for `npm run bench`: wall time from spawning `netspec` to its exit, the
// median of several runs, beside Node's own startup (the floor no command goes under).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const NETSPEC = resolve(ROOT, 'bin/netspec.js');
const RUNS = 9;

function medianMilliseconds(args: string[]): number {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    const run = spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'ignore' });
    times.push(performance.now() - start);
    if (run.status !== 0) throw new Error(`${args.join(' ')} exited with ${run.status}`);
  }
  return times.sort((a, b) => a - b)[Math.floor(RUNS / 2)];
}

const lines = (spec: string) => readFileSync(resolve(ROOT, spec), 'utf8').split('\n').length;

export function startupLine(): string {
  const small = 'specs/fashion-mlp.net';
  const imported = 'specs/resnet18-finetune.net';
  const figures = [
    `node alone ${medianMilliseconds(['-e', '']).toFixed(0)} ms`,
    `netspec --help ${medianMilliseconds([NETSPEC, '--help']).toFixed(0)} ms`,
    `check ${small} (${lines(small)} lines) ${medianMilliseconds([NETSPEC, 'check', small]).toFixed(0)} ms`,
    `check ${imported} (imports ResNet18's ONNX file) ` +
      `${medianMilliseconds([NETSPEC, 'check', imported]).toFixed(0)} ms`,
  ];
  return `startup, wall time to exit (median of ${RUNS} runs): ${figures.join('; ')}`;
}
