// Reads a Fashion-MNIST split straight from Debian's files, independently of netspec's loader.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { FASHION_DIR as ROOT } from './machine.js';

export function readIdxForTest(split: 'train' | 't10k') {
  const images = gunzipSync(readFileSync(`${ROOT}/${split}-images-idx3-ubyte.gz`)).subarray(16);
  const labels = gunzipSync(readFileSync(`${ROOT}/${split}-labels-idx1-ubyte.gz`)).subarray(8);
  return { images, labels, count: labels.length };
}
