// A PNG contact sheet of sample images (after the transforms), for `netspec data --grid`.
// Each image is stretched to its own min..max, so normalized tensors are visible too.
import { PNG } from 'pngjs';
import type { Batch } from './batches.js';

const PAD = 2;

export function gridPng(batch: Batch, columns = 8): Buffer {
  const [c, h, w] = batch.shape;
  const rows = Math.ceil(batch.size / columns);
  const png = new PNG({ width: columns * (w + PAD) + PAD, height: rows * (h + PAD) + PAD });
  png.data.fill(255);
  const pixels = c * h * w;
  for (let k = 0; k < batch.size; k++) {
    const img = batch.images.subarray(k * pixels, (k + 1) * pixels);
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of img) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
    const span = hi > lo ? hi - lo : 1;
    const x0 = PAD + (k % columns) * (w + PAD);
    const y0 = PAD + Math.floor(k / columns) * (h + PAD);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const at = 4 * ((y0 + y) * png.width + x0 + x);
        for (let ch = 0; ch < 3; ch++) {
          const v = img[(Math.min(ch, c - 1) * h + y) * w + x];
          png.data[at + ch] = Math.round((255 * (v - lo)) / span);
        }
      }
    }
  }
  return PNG.sync.write(png);
}
