// Interleaved A/B of one Adam update over ResNet18's parameters, laid out per tensor (as netspec
// lowers it) or as one flat buffer (docs/decisions/0025-resnet18-step-profile.md). The graphs come
// from bench/adam_layout.py (Debian's python3-onnx and python3-torchvision), written into a
// temporary folder.
//
//   node dist/bench/adam-layout.js [--threads N] [--rounds N]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ort } from '../runtime/session.js';
import { median } from './language.js';

const SCRIPT = resolve(import.meta.dirname, '../../bench/adam_layout.py');
type Layout = 'per-tensor' | 'flat';

const filled = (n: number, seed: number) =>
  new ort.Tensor(
    'float32',
    Float32Array.from({ length: n }, (_, i) => Math.abs(Math.sin(i * seed)) + 0.01),
    [n],
  );

function layoutFeeds(sizes: number[]): Record<Layout, Record<string, ort.Tensor>> {
  const perTensor: Record<string, ort.Tensor> = {};
  const flat: Record<string, ort.Tensor> = {};
  sizes.forEach((n, i) => {
    perTensor[`w${i}`] = flat[`w${i}`] = filled(n, 0.3);
    perTensor[`g${i}`] = flat[`g${i}`] = filled(n, 0.7);
    perTensor[`m${i}`] = filled(n, 0.11);
    perTensor[`v${i}`] = filled(n, 0.13);
  });
  const total = sizes.reduce((a, b) => a + b, 0);
  flat.m = filled(total, 0.11);
  flat.v = filled(total, 0.13);
  return { 'per-tensor': perTensor, flat };
}

async function main() {
  const { values } = parseArgs({
    options: {
      threads: { type: 'string', default: '1' },
      rounds: { type: 'string', default: '15' },
    },
  });
  const threads = Number(values.threads);
  const folder = mkdtempSync(join(tmpdir(), 'netspec-adam-'));
  try {
    const made = spawnSync('/usr/bin/python3', [SCRIPT, folder], { stdio: 'inherit' });
    if (made.status !== 0) throw new Error(`${SCRIPT} failed`);
    const sizes = readFileSync(join(folder, 'sizes.txt'), 'utf8').split(',').map(Number);
    const feeds = layoutFeeds(sizes);
    const layouts: Layout[] = ['per-tensor', 'flat'];
    const options = {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    } as const;
    const sessions = Object.fromEntries(
      await Promise.all(
        layouts.map(async (l) => [
          l,
          await ort.InferenceSession.create(join(folder, `adam-${l}.onnx`), options),
        ]),
      ),
    ) as Record<Layout, ort.InferenceSession>;
    for (const l of layouts) for (let i = 0; i < 2; i++) await sessions[l].run(feeds[l]);
    // One thread: this process's CPU time, which load from other processes does not inflate.
    const clock = () =>
      threads === 1
        ? (process.cpuUsage().user + process.cpuUsage().system) / 1000
        : performance.now();
    const times: Record<Layout, number[]> = { 'per-tensor': [], flat: [] };
    for (let round = 0; round < Number(values.rounds); round++) {
      for (const l of round % 2 === 0 ? layouts : [...layouts].reverse()) {
        const start = clock();
        await sessions[l].run(feeds[l]);
        times[l].push(clock() - start);
      }
    }
    const ratios = times.flat.map((t, i) => t / times['per-tensor'][i]);
    console.log(
      `Adam over ${sizes.length} ResNet18 parameters (${sizes.reduce((a, b) => a + b, 0).toLocaleString('en-US')} values), ` +
        `${threads} thread(s), ${values.rounds} rounds, ${threads === 1 ? 'CPU' : 'wall'} time: ` +
        layouts
          .map(
            (l) =>
              `${l} ${median(times[l]).toFixed(1)} ms (fastest ${Math.min(...times[l]).toFixed(1)})`,
          )
          .join(', ') +
        `; flat ÷ per-tensor ${median(ratios).toFixed(3)}× (${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)})`,
    );
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

await main();
