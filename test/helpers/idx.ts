// Writes small IDX files for tests.
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

export function idxBytes(dims: number[], data: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = 0x08;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, data]);
}

/** `count` random-ish 28×28 images and labels in [0, classes). */
export function writeIdxPair(
  dir: string,
  count: number,
  options: { gzip?: boolean; classes?: number } = {},
) {
  const pixels = Uint8Array.from({ length: count * 784 }, (_, i) => (i * 31) % 256);
  const labels = Uint8Array.from({ length: count }, (_, i) => i % (options.classes ?? 10));
  const encode = (b: Buffer) => (options.gzip ? gzipSync(b) : b);
  const ext = options.gzip ? '.gz' : '';
  writeFileSync(`${dir}/images${ext}`, encode(idxBytes([count, 28, 28], pixels)));
  writeFileSync(`${dir}/labels${ext}`, encode(idxBytes([count], labels)));
  return { images: `images${ext}`, labels: `labels${ext}` };
}

/** One epoch of a small MLP on an IDX pair; `train` replaces the training split's source. */
export function tinySpec(images: string, labels: string, train?: string): string {
  return `
dataset Tiny {
  train = ${train ?? `idx("${images}", "${labels}")`}
  test  = idx("${images}", "${labels}")
}
network MLP {
  input x: [1, 28, 28]
  x -> Flatten -> Linear(784, 16) -> ReLU -> Linear(16, 10)
}
train T {
  model = MLP()
  data = Tiny, batch: 4
  loss = cross_entropy
  optimizer = SGD(lr: 0.01, momentum: 0.9)
  epochs = 1
}
`;
}
