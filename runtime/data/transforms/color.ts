// Colour adjustments on float images in [0, 1], with torchvision 0.14's tensor formulas
// (functional_tensor.py): every adjustment is a blend `clamp(f·img + (1-f)·other, 0, 1)` with
// black (brightness), the mean of the grayscale image (contrast) or the grayscale image
// (saturation); hue rotates H in HSV. Saturation and hue leave 1-channel images unchanged.
import type { Img } from './image.js';
import { image } from './image.js';

const f32 = Math.fround;

function blend(img: Img, other: (i: number) => number, ratio: number): Img {
  const out = image(img.c, img.h, img.w);
  for (let i = 0; i < img.data.length; i++) {
    const v = f32(ratio * img.data[i]) + f32((1 - ratio) * other(i));
    out.data[i] = Math.min(1, Math.max(0, v));
  }
  return out;
}

/** rgb_to_grayscale: 0.2989 R + 0.587 G + 0.114 B (a 1-channel image is copied). */
export function grayscale(img: Img, outputChannels: number): Img {
  const plane = img.h * img.w;
  const out = image(outputChannels, img.h, img.w);
  for (let p = 0; p < plane; p++) {
    const d = img.data;
    const l =
      img.c === 3
        ? f32(f32(f32(0.2989 * d[p]) + f32(0.587 * d[plane + p])) + f32(0.114 * d[2 * plane + p]))
        : d[p];
    for (let c = 0; c < outputChannels; c++) out.data[c * plane + p] = l;
  }
  return out;
}

export function brightness(img: Img, factor: number): Img {
  return blend(img, () => 0, factor);
}

export function contrast(img: Img, factor: number): Img {
  const gray = img.c === 3 ? grayscale(img, 1).data : img.data;
  let sum = 0;
  for (let i = 0; i < gray.length; i++) sum += gray[i];
  const mean = f32(sum / gray.length);
  return blend(img, () => mean, factor);
}

export function saturation(img: Img, factor: number): Img {
  if (img.c === 1) return img;
  const gray = grayscale(img, 1).data;
  const plane = img.h * img.w;
  return blend(img, (i) => gray[i % plane], factor);
}

export function hue(img: Img, shift: number): Img {
  if (img.c === 1) return img;
  const plane = img.h * img.w;
  const out = image(3, img.h, img.w);
  const d = img.data;
  for (let p = 0; p < plane; p++) {
    const [h, s, v] = rgbToHsv(d[p], d[plane + p], d[2 * plane + p]);
    const [r, g, b] = hsvToRgb((((h + shift) % 1) + 1) % 1, s, v);
    out.data[p] = r;
    out.data[plane + p] = g;
    out.data[2 * plane + p] = b;
  }
  return out;
}

/** torchvision's _rgb2hsv, per pixel. */
function rgbToHsv(r: number, g: number, b: number): [number, number, number] {
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const eq = max === min;
  const cr = max - min;
  const s = cr / (eq ? 1 : max);
  const div = eq ? 1 : cr;
  const rc = (max - r) / div;
  const gc = (max - g) / div;
  const bc = (max - b) / div;
  let h = 0;
  if (max === r) h = bc - gc;
  else if (max === g) h = 2 + rc - bc;
  else h = 4 + gc - rc;
  return [(h / 6 + 1) % 1, s, max];
}

/** torchvision's _hsv2rgb, per pixel. */
function hsvToRgb(h: number, s: number, v: number): [number, number, number] {
  const i = Math.floor(h * 6);
  const f = h * 6 - i;
  const clamp = (x: number) => Math.min(1, Math.max(0, x));
  const p = clamp(v * (1 - s));
  const q = clamp(v * (1 - s * f));
  const t = clamp(v * (1 - s * (1 - f)));
  switch (((i % 6) + 6) % 6) {
    case 0:
      return [v, t, p];
    case 1:
      return [q, v, p];
    case 2:
      return [p, v, t];
    case 3:
      return [p, q, v];
    case 4:
      return [t, p, v];
    default:
      return [v, p, q];
  }
}
