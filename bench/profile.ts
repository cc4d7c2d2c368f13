// The per-node profile of a recipe's train step: onnxruntime's own profiler over a few steps,
// summed by op type and by the spec stage each node comes from (its origin, the first part of
// its name), with each one's share of the step. This is where a lowering change starts, and how
// its effect is shown next to the interleaved A/B of bench/ab.ts (docs/decisions/).
//
//   node dist/bench/profile.js <spec> <recipe> [--threads N] [--steps N] [--batch N] [--top N]
//       [--conv standard|blocked]
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { compileRecipe } from '../compiler/index.js';
import { cpuConvLowering } from '../runtime/blocked-probe.js';
import { ort } from '../runtime/session.js';
import { loadRecipe, stepFeeds } from './ab.js';

/** One event of onnxruntime's profile (Chrome trace format). */
interface TraceEvent {
  cat: string;
  name: string;
  dur: number;
  args?: { op_name?: string };
}

/** The stage a node comes from: `layer1.0.conv1/Conv_12_kernel_time` → `layer1.0.conv1`. */
const origin = (name: string) => (name.includes('/') ? name.slice(0, name.indexOf('/')) : name);

function totals(events: TraceEvent[], key: (e: TraceEvent) => string): [string, number][] {
  const sums = new Map<string, number>();
  for (const e of events) sums.set(key(e), (sums.get(key(e)) ?? 0) + e.dur);
  return [...sums].sort((a, b) => b[1] - a[1]);
}

function table(title: string, rows: [string, number][], whole: number, steps: number, top: number) {
  console.log(`\n${title}`);
  for (const [name, micros] of rows.slice(0, top)) {
    const ms = micros / steps / 1000;
    console.log(
      `  ${((100 * micros) / whole).toFixed(1).padStart(5)}%  ${ms.toFixed(2).padStart(8)} ms  ${name}`,
    );
  }
}

async function main() {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      threads: { type: 'string', default: '1' },
      steps: { type: 'string', default: '5' },
      batch: { type: 'string', default: '64' },
      top: { type: 'string', default: '20' },
      conv: { type: 'string', default: 'blocked' },
    },
  });
  const [spec, name] = positionals;
  const recipe = loadRecipe(spec, name);
  const conv = values.conv === 'blocked' ? await cpuConvLowering() : undefined;
  const compiled = compileRecipe(recipe, conv ? { conv } : {});
  const folder = mkdtempSync(join(tmpdir(), 'netspec-profile-'));
  const session = await ort.InferenceSession.create(compiled.train, {
    executionProviders: ['cpu'],
    intraOpNumThreads: Number(values.threads),
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    enableProfiling: true,
    profileFilePrefix: join(folder, 'step'),
  });
  const feeds = stepFeeds(recipe, compiled, Number(values.batch));
  await session.run(feeds); // plans and allocates; its events are left out below
  const warmEnd = performance.now();
  const steps = Number(values.steps);
  for (let i = 0; i < steps; i++) await session.run(feeds);
  const wall = (performance.now() - warmEnd) / steps;
  session.endProfiling();
  await session.release();
  const file = readdirProfile(folder);
  const events = (JSON.parse(readFileSync(file, 'utf8')) as TraceEvent[]).filter(
    (e) => e.cat === 'Node' && e.name.endsWith('_kernel_time'),
  );
  rmSync(folder, { recursive: true, force: true });
  // Every node ran once per run; the first run's events are the warm-up's.
  const perRun = events.length / (steps + 1);
  const timed = events.slice(perRun);
  const whole = timed.reduce((s, e) => s + e.dur, 0);
  console.log(
    `${name} (${spec}), batch ${values.batch}, ${values.threads} thread(s), conv ${conv ? 'blocked' : 'standard'}: ` +
      `${(whole / steps / 1000).toFixed(1)} ms of kernels per step, ${wall.toFixed(1)} ms wall, ` +
      `${perRun} kernels per step`,
  );
  table(
    'by op type',
    totals(timed, (e) => e.args?.op_name ?? '?'),
    whole,
    steps,
    Number(values.top),
  );
  table(
    'by stage',
    totals(timed, (e) => origin(e.name)),
    whole,
    steps,
    Number(values.top),
  );
}

function readdirProfile(folder: string): string {
  const found = readdirSync(folder).find((f) => f.endsWith('.json'));
  if (!found) throw new Error(`onnxruntime wrote no profile in ${folder}`);
  return join(folder, found);
}

await main();
