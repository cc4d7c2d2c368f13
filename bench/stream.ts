// The streamed-read figure for `npm run bench`: a shuffled epoch of Fashion-MNIST's 60,000
// training images as untransformed batches of 64 (what the training loop asks for), read from
// memory and streamed from a raw IDX copy in a temporary folder (one request to the reader per
// batch, a range per example; the file sits in the page cache, as a dataset that fits it would).
// Also the one-time decompression of the gzip file into the streaming cache.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataSource } from '../compiler/index.js';
import { batches, epochOrder } from '../runtime/data/batches.js';
import type { Split } from '../runtime/data/sources.js';
import { loadSource } from '../runtime/data/sources.js';

const FASHION = '/usr/share/datasets/fashion-mnist';

function epochSeconds(split: Split): number {
  const times: number[] = [];
  for (let run = 0; run < 3; run++) {
    const order = epochOrder(split.count, true, 1, run + 1);
    const start = performance.now();
    for (const batch of batches(split, order, 64)) void batch;
    times.push((performance.now() - start) / 1000);
  }
  return Math.min(...times);
}

export function streamReadLine(): string {
  const dir = mkdtempSync(join(tmpdir(), 'netspec-bench-'));
  try {
    const at = (path: string) => ({ path, file: join(dir, 'bench.net'), span: undefined as never });
    const gz = (stream: boolean): DataSource => ({
      kind: 'idx',
      images: at(`${FASHION}/train-images-idx3-ubyte.gz`),
      labels: at(`${FASHION}/train-labels-idx1-ubyte.gz`),
      stream,
    });
    const memory = loadSource(gz(false), []);
    const start = performance.now();
    loadSource(gz(true), []); // decompresses once into dir/.netspec-cache
    const convert = (performance.now() - start) / 1000;
    const header = Buffer.alloc(16);
    header[2] = 0x08;
    header[3] = 3;
    [memory.count, 28, 28].forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
    writeFileSync(join(dir, 'raw-images'), Buffer.concat([header, memory.images as Uint8Array]));
    const raw = { ...gz(true), images: at(join(dir, 'raw-images')) } as DataSource;
    const streamed = loadSource(raw, []);
    const megabytes = (memory.count * 784) / 1e6;
    const inMemory = epochSeconds(memory);
    const fromDisk = epochSeconds(streamed);
    const rate = (s: number) =>
      `${Math.round(memory.count / s).toLocaleString('en-US')} images/s = ${(megabytes / s).toFixed(0)} MB/s`;
    return (
      `Streamed IDX read (a shuffled epoch of 60,000 Fashion-MNIST images, batches of 64, untransformed): ` +
      `${rate(fromDisk)} from a raw file in place, against ${rate(inMemory)} in memory ` +
      `(${(fromDisk / inMemory).toFixed(1)}× the time); gzip decompressed once into the cache in ${convert.toFixed(2)} s`
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
