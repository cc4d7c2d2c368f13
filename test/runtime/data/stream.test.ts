// Streamed splits (pixels read from disk on demand) make byte-identical batches, statistics
// and validation splits to in-memory ones for the same seed: real Fashion-MNIST (gzip IDX,
// converted once to a raw cache), a raw IDX copy read in place, CSV spreadsheets converted
// once, and PNG folders decoded on demand. Bad files get the in-memory path's one-line errors.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DataSource, TransformStep } from '../../../compiler/index.js';
import { checkSpec } from '../../../compiler/index.js';
import type { Batch, BatchOptions } from '../../../runtime/data/batches.js';
import { batches, epochOrder } from '../../../runtime/data/batches.js';
import { UserError } from '../../../runtime/errors.js';
import type { Split } from '../../../runtime/data/sources.js';
import { loadSource } from '../../../runtime/data/sources.js';
import { splitOff } from '../../../runtime/data/split.js';
import { computeStats, trainingStats } from '../../../runtime/data/stats.js';
import { grayPng, writeFashionFiles } from '../../helpers/fashion-files.js';
import { idxBytes } from '../../helpers/idx.js';
import { netspec, ROOT, tempDir } from '../../helpers/spec.js';

const SHAPE = [1, 28, 28];

const step = (name: string, args: TransformStep['args'], trainOnly = true): TransformStep => ({
  name,
  args,
  trainOnly,
  span: undefined as never,
});
const AUGMENT = [
  step('RandomCrop', {
    size: [28],
    padding: [4, 4, 4, 4],
    pad_if_needed: false,
    fill: [0],
    padding_mode: 'constant',
  }),
  step('RandomAffine', {
    degrees: [-90, 90],
    translate: null,
    scale: null,
    shear: null,
    fill: [0],
  }),
  step('Normalize', { mean: [0.286], std: [0.353] }, false),
];

/** Every batch of both splits in one epoch's seeded order, compared byte for byte. */
function expectSameBatches(a: Split, b: Split, options: BatchOptions = {}, limit = Infinity) {
  expect(b.count).toBe(a.count);
  const order = epochOrder(a.count, true, 42, 3);
  const bytes = (x: Batch) =>
    Buffer.from(x.images.buffer, x.images.byteOffset, x.images.byteLength);
  const left = batches(a, order, 64, { seed: 42, epoch: 3, ...options });
  const right = batches(b, order, 64, { seed: 42, epoch: 3, ...options });
  let n = 0;
  for (const x of left) {
    const y = right.next().value as Batch;
    expect(y.size).toBe(x.size);
    expect(bytes(y).equals(bytes(x))).toBe(true);
    expect(y.labels).toEqual(x.labels);
    if (++n >= limit) return;
  }
  expect(right.next().done).toBe(true);
}

describe('streamed Fashion-MNIST (gzip IDX)', () => {
  let dir: string;
  let memory: Split;
  let streamed: Split;
  const source = (stream: boolean): DataSource => ({
    kind: 'idx',
    images: {
      path: 'fashion-mnist/train-images-idx3-ubyte.gz',
      file: join(dir, 'spec.net'),
      span: undefined as never,
    },
    labels: {
      path: 'fashion-mnist/train-labels-idx1-ubyte.gz',
      file: join(dir, 'spec.net'),
      span: undefined as never,
    },
    stream,
  });
  beforeAll(() => {
    dir = tempDir();
    memory = loadSource(source(false), []);
    streamed = loadSource(source(true), []);
  });

  it('is decompressed once into a raw cache beside the spec, then read from it', () => {
    expect(memory.streamed).toBeUndefined();
    expect(streamed.streamed).toMatch(/^gzip IDX, decompressed once to .*\.netspec-cache/);
    expect(() => streamed.images).toThrow(/streamed from disk/);
    const cache = readdirSync(join(dir, '.netspec-cache'));
    expect(cache.filter((f) => f.endsWith('.u8'))).toHaveLength(1);
    expect(cache.some((f) => f.endsWith('.tmp'))).toBe(false);
    const again = loadSource(source(true), []);
    expect(again.streamed).toBe(streamed.streamed);
    expect(readdirSync(join(dir, '.netspec-cache'))).toEqual(cache);
    expect(Array.from(again.labels)).toEqual(Array.from(memory.labels));
  });

  it('a whole shuffled epoch of untransformed batches is byte-identical', () => {
    expectSameBatches(memory, streamed);
  });

  it('augmented batches are byte-identical', () => {
    expectSameBatches(memory, streamed, { steps: AUGMENT, training: true }, 20);
  });

  it('Normalize(auto) statistics are the same, computed in one streaming pass', () => {
    expect(computeStats(streamed, [])).toEqual(computeStats(memory, []));
    const prefix = [step('CenterCrop', { size: [20] }, false)];
    const split = { kind: 'split', size: 0.05, seed: 1, stratify: false } as const;
    const validationStats = (from: Split) =>
      computeStats(splitOff(from, { ...split, at: undefined as never }).validation, prefix);
    const [a, b] = [validationStats(memory), validationStats(streamed)];
    expect(b).toEqual(a);
    const cached = trainingStats(streamed, [], join(dir, 'spec.net'));
    expect(cached.cached).toBe(false);
    expect(trainingStats(streamed, [], join(dir, 'spec.net')).cached).toBe(true);
    expect(cached.mean).toEqual(computeStats(memory, []).mean);
  });

  it('a stratified validation split is the same examples, still streamed', () => {
    const spec = {
      kind: 'split',
      size: 0.1,
      seed: 7,
      stratify: true,
      at: undefined as never,
    } as const;
    const a = splitOff(memory, spec);
    const b = splitOff(streamed, spec);
    expect(b.validation.streamed).toBe(streamed.streamed);
    expect(Array.from(b.validation.labels)).toEqual(Array.from(a.validation.labels));
    expectSameBatches(a.validation, b.validation);
    expectSameBatches(a.train, b.train, {}, 50);
    expect(b.train.labelAt(5)).toBe(a.train.labelAt(5));
  });
});

describe('other streamed sources', () => {
  let dir: string;
  const at = (path: string) => ({ path, file: join(dir, 'spec.net'), span: undefined as never });
  const both = (source: DataSource) => {
    const memory = loadSource({ ...source, stream: false }, [dir]);
    const streamed = loadSource({ ...source, stream: true }, [dir]);
    expect(streamed.streamed).toBeDefined();
    expect(Array.from(streamed.labels)).toEqual(Array.from(memory.labels));
    expect(streamed.labelAt(7)).toBe(memory.labelAt(7));
    expect(streamed.classNames).toEqual(memory.classNames);
    return [memory, streamed];
  };
  const rawIdx = (): DataSource => ({
    kind: 'idx',
    images: at('raw-images'),
    labels: at('raw-labels'),
  });
  const csv = {
    kind: 'csv',
    shape: SHAPE,
    scale: 1 / 255,
    header: false,
    delimiter: 'auto',
  } as const;
  beforeAll(() => {
    dir = tempDir();
    const { images, labels } = writeFashionFiles(dir, 1000);
    writeFileSync(join(dir, 'raw-images'), idxBytes([1000, 28, 28], images));
    writeFileSync(join(dir, 'raw-labels'), idxBytes([1000], labels));
  });

  it('a raw IDX file is read in place', () => {
    const [memory, streamed] = both(rawIdx());
    expect(streamed.streamed).toBe('raw IDX, read in place');
    expectSameBatches(memory, streamed);
    expectSameBatches(memory, streamed, { steps: AUGMENT, training: true });
  });

  it('a read sent ahead is used when it was for the next read, and dropped when not', () => {
    const [memory, streamed] = both(rawIdx());
    const store = streamed.store!;
    const stored = (indices: number[]) =>
      Buffer.concat(
        indices.map((i) => (memory.images as Uint8Array).subarray(i * 784, (i + 1) * 784)),
      );
    const read = (indices: number[]) => {
      const target = new Uint8Array(indices.length * 784);
      store.read(indices, target);
      return Buffer.from(target);
    };
    store.willRead([3, 1, 4]);
    expect(read([1, 5, 9]).equals(stored([1, 5, 9]))).toBe(true);
    store.willRead([2, 6, 7]);
    expect(read([2, 6, 7]).equals(stored([2, 6, 7]))).toBe(true);
    store.willRead([5]);
    store.willRead([8, 9]);
    expect(read([8, 9]).equals(stored([8, 9]))).toBe(true);
    expect(read([0]).equals(stored([0]))).toBe(true);
  });

  it("the seed's two spreadsheets, converted once", () => {
    const [memory, streamed] = both({ ...csv, images: at('images.csv'), labels: at('labels.csv') });
    expect(streamed.streamed).toMatch(/^CSV, converted once to /);
    expectSameBatches(memory, streamed);
    expectSameBatches(memory, streamed, { steps: AUGMENT, training: true });
  });

  it("a changed file's new conversion replaces the old one; other files' stay", () => {
    const cache = join(dir, '.netspec-cache');
    const source = { ...csv, images: at('images.csv'), labels: at('labels.csv'), stream: true };
    loadSource(source, [dir]);
    const combined = { ...csv, images: at('combined.csv'), labelColumn: 'label', header: true };
    loadSource({ ...combined, stream: true }, [dir]);
    const entries = () => readdirSync(cache).filter((f) => f.endsWith('.u8'));
    const before = entries();
    expect(before).toHaveLength(2);
    // The spreadsheets, edited: one more row each, so another size and modification time.
    const images = readFileSync(join(dir, 'images.csv'), 'utf8');
    const labels = readFileSync(join(dir, 'labels.csv'), 'utf8');
    const oneMore = (text: string) => `${text.trimEnd()}\n${text.split(/\r?\n/)[0]}\n`;
    writeFileSync(join(dir, 'images.csv'), oneMore(images));
    writeFileSync(join(dir, 'labels.csv'), oneMore(labels));
    try {
      expect(loadSource(source, [dir]).count).toBe(1001);
      const after = entries();
      expect(after).toHaveLength(2);
      expect(after.filter((f) => before.includes(f))).toHaveLength(1); // combined.csv's
      expect(readdirSync(cache).filter((f) => f.endsWith('.json'))).toHaveLength(2);
    } finally {
      writeFileSync(join(dir, 'images.csv'), images);
      writeFileSync(join(dir, 'labels.csv'), labels);
    }
  });

  it('one CSV with a header and a named label column', () => {
    const source = { ...csv, images: at('combined.csv'), labelColumn: 'label', header: true };
    const [memory, streamed] = both(source);
    expectSameBatches(memory, streamed);
    // From the cache: the labels were stored with the pixels.
    const again = loadSource({ ...source, stream: true }, [dir]);
    expect(Array.from(again.labels)).toEqual(Array.from(memory.labels));
  });

  it('a PNG folder with a label spreadsheet, decoded on demand', () => {
    const [memory, streamed] = both({
      kind: 'images',
      dir: at('png'),
      labels: at('png/labels.csv'),
      shape: SHAPE,
    });
    expect(streamed.streamed).toBe('images, decoded on demand');
    expectSameBatches(memory, streamed);
    expectSameBatches(memory, streamed, { steps: AUGMENT, training: true }, 4);
  });

  it('worker threads read streamed splits themselves, making the same batches', async () => {
    const built = (await import(
      `${ROOT}/dist/runtime/data/prefetch.js`
    )) as typeof import('../../../runtime/data/prefetch.js');
    const idx = loadSource({ ...rawIdx(), stream: true }, [dir]);
    const png = loadSource(
      { kind: 'images', dir: at('png'), labels: at('png/labels.csv'), shape: SHAPE, stream: true },
      [dir],
    );
    for (const [split, options] of [
      [idx, { seed: 5, epoch: 2 }],
      [idx, { steps: AUGMENT, training: true, seed: 5, epoch: 2 }],
      [png, { steps: AUGMENT, training: true, seed: 5, epoch: 2 }],
    ] as const) {
      const order = epochOrder(split.count, true, 5, 2).subarray(0, 300);
      const inline = [...batches(split, order, 64, options)];
      const threaded = [];
      for await (const b of built.prefetchedBatches(split, order, 64, options, 2)) threaded.push(b);
      expect(threaded.map((b) => b.shape)).toEqual(inline.map((b) => b.shape));
      threaded.forEach((b, k) => {
        expect(Buffer.from(b.images.buffer).equals(Buffer.from(inline[k].images.buffer))).toBe(
          true,
        );
        expect(b.labels).toEqual(inline[k].labels);
      });
    }
  });

  it('netspec data says which splits are streamed, and how', () => {
    writeFileSync(
      join(dir, 'spec.net'),
      `dataset D {
        train = csv(images: "images.csv", labels: "labels.csv", stream: true)
        validation = split(train, 10%, seed: 7)
        test = idx("raw-images", "raw-labels")
      }`,
    );
    const result = netspec(['data', 'spec.net'], dir);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(
      /train\s+900 examples .*\(streamed from disk: CSV, converted once to .*\.netspec-cache\/stream-\w+\.u8\)/,
    );
    expect(result.stdout).toMatch(/validation\s+100 examples .*\(streamed from disk: CSV/);
    expect(result.stdout).toMatch(/test\s+1,000 examples .*\(in memory\)/);
  });

  it('stream: auto streams above the memory budget only', () => {
    const source = rawIdx();
    expect(loadSource(source, [dir]).streamed).toBeUndefined();
    process.env.NETSPEC_STREAM_ABOVE = '100K';
    try {
      expect(loadSource(source, [dir]).streamed).toBe('raw IDX, read in place');
      expect(loadSource({ ...source, stream: false }, [dir]).streamed).toBeUndefined();
    } finally {
      delete process.env.NETSPEC_STREAM_ABOVE;
    }
  });
});

describe('bad files while streaming', () => {
  let dir: string;
  const at = (path: string) => ({ path, file: join(dir, 'spec.net'), span: undefined as never });
  const errorOf = (source: DataSource): UserError => {
    try {
      const split = loadSource(source, [dir]);
      // Streamed image folders decode each file when it is first read.
      Array.from(batches(split, epochOrder(split.count, false, 0, 0), 64));
    } catch (e) {
      if (e instanceof UserError) return e;
      throw e;
    }
    throw new Error('no error');
  };
  /** The streamed path fails with exactly the in-memory path's code and one-line message. */
  const expectSameError = (source: DataSource, fragment: string) => {
    const memory = errorOf({ ...source, stream: false });
    const streamed = errorOf({ ...source, stream: true });
    expect(streamed.message).toBe(memory.message);
    expect(streamed.code).toBe(memory.code);
    expect(streamed.message).toContain(fragment);
    expect(streamed.message).not.toContain('\n');
    const cache = join(dir, '.netspec-cache');
    // Nothing half-written is left to be mistaken for a conversion later.
    if (existsSync(cache)) expect(readdirSync(cache).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  };
  beforeAll(() => {
    dir = tempDir();
    const pixels = Uint8Array.from({ length: 10 * 784 }, (_, i) => i % 251);
    writeFileSync(
      join(dir, 'labels'),
      idxBytes(
        [10],
        Uint8Array.from({ length: 10 }, (_, i) => i),
      ),
    );
    const whole = idxBytes([10, 28, 28], pixels);
    writeFileSync(join(dir, 'truncated'), whole.subarray(0, whole.length - 100));
    const zipped = gzipSync(whole);
    writeFileSync(join(dir, 'truncated.gz'), zipped.subarray(0, zipped.length >> 1));
    const corrupt = Buffer.from(zipped);
    corrupt.fill(0xab, 20, 60);
    writeFileSync(join(dir, 'corrupt.gz'), corrupt);
    const rows = Array.from({ length: 10 }, (_, r) =>
      Array.from({ length: 784 }, (_, p) => (r + p) % 256),
    );
    rows[6].pop();
    writeFileSync(join(dir, 'ragged.csv'), rows.map((r) => r.join(',')).join('\n') + '\n');
    writeFileSync(join(dir, 'labels.csv'), Array.from({ length: 10 }, (_, i) => i).join('\n'));
    writeFileSync(join(dir, 'sheet.csv'), 'a.png,1\nb.png,2\n');
    writeFileSync(join(dir, 'a.png'), grayPng(new Uint8Array(784), 28, 28));
  });

  it('a truncated raw IDX file', () => {
    expectSameError({ kind: 'idx', images: at('truncated'), labels: at('labels') }, 'is truncated');
  });

  it('truncated and corrupt gzip data', () => {
    expectSameError(
      { kind: 'idx', images: at('truncated.gz'), labels: at('labels') },
      'truncated gzip data',
    );
    expectSameError(
      { kind: 'idx', images: at('corrupt.gz'), labels: at('labels') },
      'corrupt gzip data',
    );
  });

  it('a ragged CSV row found during conversion', () => {
    const source = {
      kind: 'csv',
      images: at('ragged.csv'),
      labels: at('labels.csv'),
      shape: SHAPE,
      scale: 1 / 255,
      header: false,
      delimiter: 'auto',
    } as const;
    expectSameError(source, 'ragged.csv:7: row has 783 columns, expected 784');
  });

  it('a missing and an undecodable image', () => {
    const source = { kind: 'images', dir: at('.'), labels: at('sheet.csv'), shape: SHAPE } as const;
    expectSameError(source, "sheet.csv:2: image 'b.png' does not exist in");
    writeFileSync(
      join(dir, 'b.png'),
      Buffer.concat([
        Buffer.from([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10]),
        Buffer.from('not really'),
      ]),
    );
    writeFileSync(join(dir, 'a.png'), readFileSync(join(dir, 'b.png')));
    expectSameError(source, 'a.png: cannot decode PNG');
  });

  it('an image found bad mid-epoch by a loader worker is the same UserError', async () => {
    const built = (await import(
      `${ROOT}/dist/runtime/data/prefetch.js`
    )) as typeof import('../../../runtime/data/prefetch.js');
    const names = Array.from({ length: 40 }, (_, i) => `ok${i}.png`);
    names.forEach((name) => writeFileSync(join(dir, name), grayPng(new Uint8Array(784), 28, 28)));
    writeFileSync(join(dir, 'ok30.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10, 1]));
    writeFileSync(join(dir, 'many.csv'), names.map((n) => `${n},1`).join('\n'));
    const split = loadSource(
      { kind: 'images', dir: at('.'), labels: at('many.csv'), shape: SHAPE, stream: true },
      [dir],
    );
    const options = { steps: AUGMENT, training: true, seed: 1, epoch: 1 };
    const order = epochOrder(split.count, false, 0, 0);
    const batchesSeen: number[] = [];
    const run = async () => {
      for await (const b of built.prefetchedBatches(split, order, 8, options, 2))
        batchesSeen.push(b.size);
    };
    const error = await run().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as UserError).code).toBe('NS2002');
    expect((error as Error).message).toMatch(/ok30\.png: cannot decode PNG/);
    expect(batchesSeen).toEqual([8, 8, 8]); // the batches before the bad one
  });
});

describe('the stream argument', () => {
  const spec = (arg: string) => `dataset D { train = idx("a", "b"${arg}) }`;
  it('takes true, false or auto', () => {
    for (const [arg, value] of [
      ['', 'auto'],
      [', stream: true', true],
      [', stream: false', false],
      [', stream: auto', 'auto'],
    ] as const) {
      const { spec: checked, diagnostics } = checkSpec(spec(arg), 'x.net');
      expect(diagnostics).toEqual([]);
      expect(checked.datasets.get('D')!.train.stream).toBe(value);
    }
    const csv = checkSpec(`dataset D { train = csv("a", labels: "b", stream: true) }`, 'x.net');
    expect(csv.spec.datasets.get('D')!.train.stream).toBe(true);
  });

  it('anything else is a diagnostic at the argument', () => {
    const { diagnostics } = checkSpec(spec(', stream: 1'), 'x.net');
    expect(diagnostics.map((d) => d.message)).toEqual([
      "idx: 'stream' must be true, false or auto",
    ]);
  });
});
