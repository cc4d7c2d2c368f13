// A small in-memory split of 28×28 grey images, for training-loop tests without files.
import type { Split } from '../../runtime/data/dataset.js';

/** `count` deterministic images (a pixel pattern) with labels cycling through 10 classes. */
export function tinySplit(count: number): Split {
  return {
    images: Uint8Array.from({ length: count * 784 }, (_, i) => (i * 37) % 256),
    labels: Int32Array.from({ length: count }, (_, i) => i % 10),
    count,
    imageShape: [1, 28, 28],
    scale: 1 / 255,
    origin: 'tiny',
    labelAt: (i) => `tiny:${i}`,
  };
}
