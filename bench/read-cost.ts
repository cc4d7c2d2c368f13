// What a read through the reader process costs against a direct readFileSync
// (docs/decisions/0026-reads-that-time-out.md): `node dist/bench/read-cost.js FILE... [--rounds N]`.
// Interleaved A/B in one process, the order alternating each round; the first read through the
// reader (its start-up) is reported apart.
import { readFileSync } from 'node:fs';
import { readFile } from '../runtime/files.js';
import { median } from './language.js';

const args = process.argv.slice(2);
const at = args.indexOf('--rounds');
const rounds = at >= 0 ? Number(args.splice(at, 2)[1]) : 9;

const ms = (x: number) => `${x.toFixed(2)} ms`;

function timed(read: () => Uint8Array): number {
  const started = performance.now();
  if (read().length < 0) throw new Error('unreachable');
  return performance.now() - started;
}

for (const [i, path] of args.entries()) {
  const first = timed(() => readFile(path, 'data'));
  const reader: number[] = [];
  const direct: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const pair = [
      () => reader.push(timed(() => readFile(path, 'data'))),
      () => direct.push(timed(() => readFileSync(path))),
    ];
    if (r % 2) pair.reverse();
    for (const run of pair) run();
  }
  const size = readFileSync(path).length;
  console.log(
    `${path} (${size} bytes): reader median ${ms(median(reader))}, direct median ${ms(median(direct))}` +
      `${i === 0 ? `; the first read (the reader's start) ${ms(first)}` : ''}`,
  );
}
process.exit(0);
