// A PNG contact sheet of sample images after the transforms, for `netspec data --grid`: each
// image upscaled (28-pixel digits are too small to see), its class name under it. Pixels are
// shown as the network's [0, 1] input values; a Normalize step is undone for display
// (x·std + mean), since normalized tensors are not pixel values.
import { PNG } from 'pngjs';
import pixelFonts from 'js-pixel-fonts';
import type { Batch } from './batches.js';

export interface GridOptions {
  /** The class name of each sample, written under it. */
  names: string[];
  /** Normalize's per-channel mean and std, undone for display. */
  normalize?: { mean: number[]; std: number[] };
  /** Screen pixels per image pixel. */
  scale?: number;
  columns?: number;
}

const PAD = 6;
const FONT = pixelFonts.fonts.sevenPlus;
const TEXT_HEIGHT = FONT.lineHeight + 4;

/** How many screen pixels per image pixel make a tile about 84 pixels wide. */
export function gridScale(width: number): number {
  return Math.max(1, Math.min(6, Math.round(84 / width)));
}

export function gridPng(batch: Batch, options: GridOptions): Buffer {
  const [c, h, w] = batch.shape;
  const scale = options.scale ?? gridScale(w);
  const columns = options.columns ?? 8;
  const [tileW, tileH] = [w * scale, h * scale + TEXT_HEIGHT];
  const rows = Math.ceil(batch.size / columns);
  const png = new PNG({ width: columns * (tileW + PAD) + PAD, height: rows * (tileH + PAD) + PAD });
  png.data.fill(255);
  const pixels = c * h * w;
  for (let k = 0; k < batch.size; k++) {
    const x0 = PAD + (k % columns) * (tileW + PAD);
    const y0 = PAD + Math.floor(k / columns) * (tileH + PAD);
    const img = batch.images.subarray(k * pixels, (k + 1) * pixels);
    for (let y = 0; y < h * scale; y++) {
      for (let x = 0; x < w * scale; x++) {
        const at = 4 * ((y0 + y) * png.width + x0 + x);
        const source = Math.floor(y / scale) * w + Math.floor(x / scale);
        for (let ch = 0; ch < 3; ch++) {
          const channel = Math.min(ch, c - 1);
          png.data[at + ch] = displayed(img[channel * h * w + source], channel, options.normalize);
        }
      }
    }
    drawText(png, options.names[k] ?? '', x0, y0 + h * scale + 3, tileW);
  }
  return PNG.sync.write(png);
}

/** A tensor value as a 0–255 pixel: Normalize undone, clamped to [0, 1]. */
function displayed(v: number, channel: number, normalize: GridOptions['normalize']): number {
  // One mean and std may stand for every channel, as in torchvision.
  const at = (values: number[]) => values[channel] ?? values[0];
  const value = normalize ? v * at(normalize.std) + at(normalize.mean) : v;
  return Math.round(255 * Math.min(1, Math.max(0, value)));
}

/** Text in the pixel font, cut to `width`; characters it lacks are drawn as '?'. */
function drawText(png: PNG, text: string, x0: number, y0: number, width: number): void {
  const known = [...text].map((ch) => (FONT.glyphs[ch] ? ch : '?')).join('');
  const rows = pixelFonts.renderPixels(known, FONT);
  rows.forEach((row, y) =>
    row.slice(0, width).forEach((on, x) => {
      if (!on || y0 + y >= png.height) return;
      png.data.fill(
        0,
        4 * ((y0 + y) * png.width + x0 + x),
        4 * ((y0 + y) * png.width + x0 + x) + 3,
      );
    }),
  );
}
