// A streamed dataset trains without its pixels in memory. A 640 MiB raw IDX file is generated
// in a temporary folder (and deleted afterwards); `netspec train` runs on it in a child process
// whose peak resident set (getrusage's maxRSS, reported when it exits) must stay under half
// the file's size, and above the same run on 1,024 images by less than a tenth of it. Buffers
// live outside the JS heap, so `--max-old-space-size` would prove nothing, and onnxruntime
// reserves far more address space than it uses, so `ulimit -v` would not either: the peak RSS
// is what counts. Positioned reads do not map the file, so the pages the kernel caches for it
// are not part of it. The same file loaded by the in-memory loader (stream: false) shows that
// the measurement sees the pixels when they are there.
import { closeSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../../helpers/spec.js';
import { spawnSync } from 'node:child_process';

const SIDE = 128;
const COUNT = 40960;
const FILE_BYTES = 16 + COUNT * SIDE * SIDE;

const spec = (stream: boolean, name = 'big') => `
dataset Big {
  train = idx("${name}-images", "${name}-labels", stream: ${stream})
}
transform Standardize {
  Normalize(mean: auto, std: auto)
}
network Small {
  input x: [1, ${SIDE}, ${SIDE}]
  x -> AvgPool2d(8) -> Flatten -> Linear(${(SIDE / 8) ** 2}, 10)
}
train T {
  model = Small()
  data = Big, batch: 64, shuffle: true, transform: Standardize
  loss = cross_entropy
  optimizer = SGD(lr: 0.01)
  epochs = 1
  seed = 3
}
`;

/** A raw IDX images file of COUNT images, written 16 MB at a time, and its labels. */
function writeBigIdx(dir: string, count = COUNT, name = 'big'): void {
  const pixels = SIDE * SIDE;
  const header = Buffer.alloc(16);
  header[2] = 0x08;
  header[3] = 3;
  [count, SIDE, SIDE].forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  const fd = openSync(join(dir, `${name}-images`), 'w');
  writeSync(fd, header);
  const per = Math.floor((1 << 24) / pixels);
  const chunk = Buffer.alloc(per * pixels);
  for (let i = 0; i < count; i += per) {
    const n = Math.min(per, count - i);
    for (let p = 0; p < n * pixels; p++) chunk[p] = (p * 7 + i) & 255;
    writeSync(fd, chunk, 0, n * pixels);
  }
  closeSync(fd);
  const labels = Buffer.alloc(8 + count);
  labels[2] = 0x08;
  labels[3] = 1;
  labels.writeUInt32BE(count, 4);
  for (let i = 0; i < count; i++) labels[8 + i] = i % 10;
  writeFileSync(join(dir, `${name}-labels`), labels);
}

/** Runs node (the built CLI unless told otherwise) and returns its output and peak resident set. */
function measured(args: string[], cwd: string) {
  const hook =
    'data:text/javascript,process.on("exit",()=>process.stderr.write("maxrss_kb "+process.resourceUsage().maxRSS+"\\n"))';
  const result = spawnSync(
    process.execPath,
    [
      '--import',
      hook,
      ...(args[0].startsWith('--') ? [] : [join(ROOT, 'bin/netspec.js')]),
      ...args,
    ],
    { cwd, encoding: 'utf8' },
  );
  const kb = Number(/maxrss_kb (\d+)/.exec(result.stderr)?.[1]);
  console.log(
    `${args[0].startsWith('--') ? 'the in-memory loader' : `netspec ${args.slice(0, 2).join(' ')}`}: peak RSS ${(kb / 1024).toFixed(0)} MiB, file ${(FILE_BYTES / 2 ** 20).toFixed(0)} MiB`,
  );
  return { ...result, peak: kb * 1024 };
}

describe('a dataset larger than the memory it trains in', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir();
    writeBigIdx(dir);
    writeBigIdx(dir, 1024, 'small');
    writeFileSync(join(dir, 'small.net'), spec(true, 'small'));
    writeFileSync(join(dir, 'streamed.net'), spec(true));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('trains an epoch streamed: peak RSS under half the file size, barely above a tiny dataset', () => {
    // The same run on 1,024 images of the same shape: what the process needs besides data.
    const baseline = measured(['train', 'small.net', '--out', 'small-run'], dir);
    expect(baseline.status, baseline.stderr).toBe(0);
    const run = measured(['train', 'streamed.net', '--out', 'run'], dir);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/training T: Small on Big \(40960 train/);
    expect(run.stdout).toMatch(/epoch 1\/1 .*train loss/);
    expect(run.peak).toBeGreaterThan(0);
    const peaks = `peak ${run.peak >> 20} MiB, baseline ${baseline.peak >> 20} MiB`;
    expect(run.peak, peaks).toBeLessThan(FILE_BYTES / 2);
    // 40× the data, 640 MiB more of it: the peak grows by less than a tenth of that.
    expect(run.peak - baseline.peak, peaks).toBeLessThan(FILE_BYTES / 10);
  }, 120_000);

  it('the same file loaded into memory: the measurement sees its pixels', () => {
    // The in-memory loader alone (no statistics pass, no training): what stream: false costs.
    const script = `
      import { loadSource } from ${JSON.stringify(join(ROOT, 'dist/runtime/data/sources.js'))};
      const at = (path) => ({ path, file: ${JSON.stringify(join(dir, 'memory.net'))} });
      const split = loadSource({ kind: 'idx', images: at('big-images'), labels: at('big-labels'), stream: false }, []);
      console.log(split.count, split.streamed ?? 'in memory');`;
    const run = measured(['--input-type=module', '-e', script], dir);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe(`${COUNT} in memory`);
    expect(run.peak).toBeGreaterThan(FILE_BYTES);
  }, 120_000);
});
