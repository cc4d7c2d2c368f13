// Time to first step for `npm run bench`: a fresh Node process does what `netspec train` does
// before its first run of steps (load and check the spec with its imported model, load the data, probe
// the CPU, compile or read the graph cache, create the sessions, run the first steps) and says
// when each stage ended; the bench runs it with an empty graph cache (cold), then again with the
// entry the first run wrote (warm), and times each from the spawn.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { convLowering } from '../runtime/blocked-probe.js';
import { loadRecipe } from '../runtime/cli/load.js';
import { prepareData } from '../runtime/cli/data.js';
import { dataRoots } from '../runtime/data/paths.js';
import { compileCached, defaultCache } from '../runtime/compile-cache.js';
import { defaultThreads, train } from '../runtime/train.js';

const ROOT = resolve(import.meta.dirname, '../..');
const SPEC = 'specs/resnet18-finetune.net';

/** The child: each stage's end, in ms since the process began, as one JSON line on stdout. */
async function child(): Promise<void> {
  const marks: Record<string, number> = {};
  const mark = (what: string) => (marks[what] = performance.now());
  mark('modules');
  const { recipe } = loadRecipe(SPEC, 'Finetune');
  mark('check');
  const data = prepareData(recipe, SPEC, dataRoots([]));
  mark('data');
  const conv = await convLowering('cpu');
  const before = process.argv.includes('--before');
  const { compiled, outcome } = compileCached(
    recipe,
    { conv },
    before ? undefined : defaultCache(),
  );
  // The graphs are written as ONNX when first read: here, not inside the session's creation
  // (the evaluation graph when the first evaluation needs it, after the first steps).
  // `--before` writes all four, as every start did before the cache.
  void (before ? [compiled.train, compiled.steps, compiled.eval, compiled.infer] : compiled.steps);
  mark('compile');
  const stop = new AbortController();
  await train(recipe, compiled, data, {
    epochs: 1,
    threads: defaultThreads(recipe),
    device: 'cpu',
    conv,
    signal: stop.signal,
    onStep: () => {
      if (stop.signal.aborted) return;
      mark('first steps');
      process.stdout.write('first step\n');
      stop.abort();
    },
  });
  process.stdout.write(JSON.stringify({ outcome, marks }) + '\n');
}

interface Start {
  /** From the spawn to the end of the first onnxruntime run of steps. */
  ms: number;
  outcome: string;
  /** Each stage's own milliseconds. */
  stages: [string, number][];
}

function timedChild(cacheHome: string, before = false): Promise<Start> {
  const started = performance.now();
  let firstStep = 0;
  let out = '';
  const run = spawn(
    process.execPath,
    [fileURLToPath(import.meta.url), '--child', ...(before ? ['--before'] : [])],
    {
      cwd: ROOT,
      env: { ...process.env, XDG_CACHE_HOME: cacheHome, NETSPEC_NO_CACHE: '' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  run.stdout.on('data', (chunk: Buffer) => {
    firstStep ||= performance.now();
    out += chunk.toString();
  });
  return new Promise((done, fail) =>
    run.on('close', (code) => {
      if (code !== 0) return fail(new Error(`${SPEC}: the first-step child exited with ${code}`));
      const { outcome, marks } = JSON.parse(out.trim().split('\n').at(-1)!) as {
        outcome: string;
        marks: Record<string, number>;
      };
      let before = 0;
      const stages = Object.entries(marks).map(([what, at]): [string, number] => {
        const own = at - before;
        before = at;
        return [what, own];
      });
      done({ ms: firstStep - started, outcome, stages });
    }),
  );
}

const describe = (s: Start) =>
  `${(s.ms / 1000).toFixed(1)} s (${s.outcome}: ` +
  s.stages.map(([what, ms]) => `${what} ${(ms / 1000).toFixed(2)}`).join(', ') +
  ')';

/** `finetune time to first step: cold …, warm …`, cold and warm runs alternating `rounds` times. */
export async function firstStepLine(rounds = 2): Promise<string> {
  const before: Start[] = [];
  const cold: Start[] = [];
  const warm: Start[] = [];
  for (let i = 0; i < rounds; i++) {
    const cacheHome = mkdtempSync(join(tmpdir(), 'netspec-bench-cache-'));
    try {
      before.push(await timedChild(cacheHome, true));
      cold.push(await timedChild(cacheHome));
      warm.push(await timedChild(cacheHome));
    } finally {
      rmSync(cacheHome, { recursive: true, force: true });
    }
  }
  const best = (runs: Start[]) => runs.reduce((a, b) => (b.ms < a.ms ? b : a));
  const spread = (runs: Start[]) => runs.map((r) => (r.ms / 1000).toFixed(1)).join('/');
  return (
    `ResNet18 finetune, time to first step (spawn to the end of the first run of steps; ` +
    `best of ${rounds}, all ${spread(cold)} cold, ${spread(warm)} warm; aims 5 s cold, 2 s warm): ` +
    `cold ${describe(best(cold))}; warm ${describe(best(warm))}; ` +
    `without the cache, all four graphs written (${spread(before)}): ${describe(best(before))}`
  );
}

if (process.argv.includes('--child')) await child();
else if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(await firstStepLine());
