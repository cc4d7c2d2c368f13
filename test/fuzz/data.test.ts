// Fuzzing the data readers: IDX (plain, gzip, streamed), CSV spreadsheets of images and labels,
// PNG and JPEG folders. Each mutated file either loads, or is one error naming it; in a child,
// `data` and `train` exit 0 or 1 with a positioned message and write nothing outside --out.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import fc from 'fast-check';
import jpeg from 'jpeg-js';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkSpec } from '../../compiler/index.js';
import { readPixels } from '../../runtime/data/batches.js';
import { loadDataset } from '../../runtime/data/dataset.js';
import { writeFashionFiles } from '../helpers/fashion-files.js';
import { writeIdxPair } from '../helpers/idx.js';
import { oneEpochSpec, tempDir } from '../helpers/spec.js';
import {
  expectCleanExit,
  expectUntouched,
  expectUserError,
  fuzzCli,
  fuzzRuns,
  hangGuard,
  mutated,
} from './fuzz.js';

/** A data file to mutate, and the dataset source that reads it. */
interface Target {
  file: string;
  source: string;
}

const TARGETS: Target[] = [
  { file: 'images', source: 'idx("images", "labels")' },
  { file: 'labels', source: 'idx("images", "labels")' },
  { file: 'images.gz', source: 'idx("images.gz", "labels.gz")' },
  { file: 'images.gz', source: 'idx("images.gz", "labels.gz", stream: true)' },
  { file: 'labels.gz', source: 'idx("images.gz", "labels.gz", stream: true)' },
  {
    file: 'images.csv',
    source: 'csv(images: "images.csv", labels: "labels.csv", shape: [1, 28, 28])',
  },
  {
    file: 'labels.csv',
    source: 'csv(images: "images.csv", labels: "labels.csv", shape: [1, 28, 28])',
  },
  { file: 'combined.csv', source: 'csv("combined.csv", label_column: "label", header: true)' },
  { file: 'png/labels.csv', source: 'images("png", labels: "png/labels.csv", shape: [1, 28, 28])' },
  {
    file: 'png/img00001.png',
    source: 'images("png", labels: "png/labels.csv", shape: [1, 28, 28])',
  },
  { file: 'classes/b/one.jpg', source: 'images("classes", shape: [1, 28, 28])' },
  { file: 'classes/b/one.jpg', source: 'images("classes", shape: [1, 28, 28], stream: true)' },
];

/** Fashion-MNIST's first six images in every format, under a fresh folder. */
function seedFolder(): string {
  const dir = tempDir('netspec-fuzz-data-');
  writeIdxPair(dir, 6);
  writeIdxPair(dir, 6, { gzip: true });
  const { images } = writeFashionFiles(dir, 6);
  const rgba = Buffer.alloc(28 * 28 * 4);
  images.subarray(0, 784).forEach((v, p) => rgba.set([v, v, v, 255], 4 * p));
  mkdirSync(join(dir, 'classes/a'), { recursive: true });
  mkdirSync(join(dir, 'classes/b'));
  writeFileSync(join(dir, 'classes/a/one.png'), readFileSync(join(dir, 'png/img00000.png')));
  writeFileSync(
    join(dir, 'classes/b/one.jpg'),
    jpeg.encode({ data: rgba, width: 28, height: 28 }, 90).data,
  );
  return dir;
}

/** Loads the spec's dataset in-process and reads every example's pixels. */
function load(dir: string, source: string): void {
  const { spec, diagnostics } = checkSpec(oneEpochSpec(source), join(dir, 'spec.net'));
  expect(diagnostics).toEqual([]);
  const data = loadDataset(spec.datasets.get('D')!, undefined, []);
  for (const split of [data.train, data.test, data.validation]) {
    if (!split) continue;
    const all = Array.from({ length: split.count }, (_, i) => i);
    const pixels = readPixels(split, all);
    for (const k of all) pixels(k);
  }
}

describe('fuzzing data files', () => {
  let dir: string;
  const seeds = new Map<string, Buffer>();
  beforeAll(() => {
    dir = seedFolder();
    for (const { file } of TARGETS) seeds.set(file, readFileSync(join(dir, file)));
  });
  const others = () => [...seeds.values()];

  it.each(TARGETS)('the seeds load: $source', ({ source }) => load(dir, source));

  const IN_PROCESS = 40;
  it.each(TARGETS)(
    'a mutated $file loads or is one error naming it ($source)',
    ({ file, source }) => {
      fc.assert(
        fc.property(mutated([seeds.get(file)!], others()), (bytes) => {
          writeFileSync(join(dir, file), bytes);
          expectUserError(() => load(dir, source), basename(file), dirname(file));
        }),
        fuzzRuns(IN_PROCESS),
      );
      writeFileSync(join(dir, file), seeds.get(file)!);
    },
    hangGuard(IN_PROCESS, 500),
  );

  const CHILDREN = 2;
  it.each(TARGETS)(
    '`train` on a mutated $file: exit 0 or 1, nothing written outside --out ($source)',
    ({ file, source }) => {
      writeFileSync(join(dir, 'spec.net'), oneEpochSpec(source));
      fc.assert(
        fc.property(mutated([seeds.get(file)!], others()), (bytes) => {
          writeFileSync(join(dir, file), bytes);
          rmSync(join(dir, 'run'), { recursive: true, force: true });
          const skip = ['run', '.netspec-cache'];
          const result = expectUntouched(dir, skip, () =>
            fuzzCli(['train', 'spec.net', '--out', 'run'], dir),
          );
          expectCleanExit(result, `${file} of ${bytes.length} bytes, ${source}`);
          if (result.status === 1) expect(existsSync(join(dir, 'run'))).toBe(false);
        }),
        fuzzRuns(CHILDREN),
      );
      writeFileSync(join(dir, file), seeds.get(file)!);
    },
    hangGuard(CHILDREN, 30_000),
  );
});
