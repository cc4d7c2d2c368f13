// Geometry on float CHW images, with torchvision's tensor semantics (torchvision 0.14
// transforms/functional_tensor.py): pad (four modes), crop (zeros outside the image), center
// crop (Python's round-half-even offsets), bilinear resize (antialias off), flips.

/** A float image, channels × height × width, row-major. */
export interface Img {
  data: Float32Array;
  c: number;
  h: number;
  w: number;
}

export const image = (c: number, h: number, w: number): Img => ({
  data: new Float32Array(c * h * w),
  c,
  h,
  w,
});

export type PaddingMode = 'constant' | 'edge' | 'reflect' | 'symmetric';

/** Where index `i` (possibly outside [0, n)) reads from under a padding mode; -1: the fill. */
function source(i: number, n: number, mode: PaddingMode): number {
  if (i >= 0 && i < n) return i;
  switch (mode) {
    case 'constant':
      return -1;
    case 'edge':
      return i < 0 ? 0 : n - 1;
    case 'reflect':
      return i < 0 ? -i : 2 * (n - 1) - i;
    case 'symmetric':
      return i < 0 ? -i - 1 : 2 * n - 1 - i;
  }
}

/** torchvision F.pad: `ltrb` = [left, top, right, bottom]. */
export function pad(img: Img, ltrb: number[], fill: number[], mode: PaddingMode): Img {
  const [left, top, right, bottom] = ltrb;
  if (mode === 'reflect' && (Math.max(left, right) >= img.w || Math.max(top, bottom) >= img.h))
    throw new RangeError(
      `reflect padding ${ltrb} must be smaller than the image (${img.h}×${img.w})`,
    );
  const out = image(img.c, img.h + top + bottom, img.w + left + right);
  if (mode === 'constant') return padConstant(img, out, top, left, fill);
  for (let c = 0; c < img.c; c++) {
    const value = fill[Math.min(c, fill.length - 1)];
    for (let y = 0; y < out.h; y++) {
      const sy = source(y - top, img.h, mode);
      for (let x = 0; x < out.w; x++) {
        const sx = source(x - left, img.w, mode);
        out.data[(c * out.h + y) * out.w + x] =
          sy < 0 || sx < 0 ? value : img.data[(c * img.h + sy) * img.w + sx];
      }
    }
  }
  return out;
}

/** Constant padding, the common case (RandomCrop's default): fill, then copy whole rows. */
function padConstant(img: Img, out: Img, top: number, left: number, fill: number[]): Img {
  for (let c = 0; c < img.c; c++) {
    const plane = out.data.subarray(c * out.h * out.w, (c + 1) * out.h * out.w);
    const value = fill[Math.min(c, fill.length - 1)];
    if (value !== 0) plane.fill(value);
    for (let y = 0; y < img.h; y++) {
      const from = (c * img.h + y) * img.w;
      plane.set(img.data.subarray(from, from + img.w), (y + top) * out.w + left);
    }
  }
  return out;
}

/** torchvision F.crop: the window at (top, left); parts outside the image are 0. */
export function crop(img: Img, top: number, left: number, h: number, w: number): Img {
  const out = image(img.c, h, w);
  // The columns of the window that lie inside the image, copied a row at a time.
  const x0 = Math.max(0, -left);
  const x1 = Math.min(w, img.w - left);
  if (x1 <= x0) return out;
  for (let c = 0; c < img.c; c++) {
    for (let y = 0; y < h; y++) {
      const sy = top + y;
      if (sy < 0 || sy >= img.h) continue;
      const from = (c * img.h + sy) * img.w + left;
      out.data.set(img.data.subarray(from + x0, from + x1), (c * h + y) * w + x0);
    }
  }
  return out;
}

/** Python's round(): halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** torchvision F.center_crop, padding with 0 first when the crop is larger than the image. */
export function centerCrop(img: Img, h: number, w: number): Img {
  if (w > img.w || h > img.h) {
    const dw = Math.max(0, w - img.w);
    const dh = Math.max(0, h - img.h);
    const ltrb = [dw >> 1, dh >> 1, (dw + 1) >> 1, (dh + 1) >> 1];
    img = pad(img, ltrb, [0], 'constant');
    if (img.w === w && img.h === h) return img;
  }
  return crop(img, roundHalfEven((img.h - h) / 2), roundHalfEven((img.w - w) / 2), h, w);
}

/** torchvision Resize's output size: one number matches the smaller edge, keeping the ratio. */
export function resizedSize(h: number, w: number, size: number[]): [number, number] {
  if (size.length === 2) return [size[0], size[1]];
  const [short, long] = w <= h ? [w, h] : [h, w];
  const newLong = Math.trunc((size[0] * long) / short);
  return w <= h ? [newLong, size[0]] : [size[0], newLong];
}

/** torch.nn.functional.interpolate(mode='bilinear', align_corners=False, antialias=False). */
export function resize(img: Img, h: number, w: number): Img {
  const out = image(img.c, h, w);
  const ys = taps(img.h, h);
  const xs = taps(img.w, w);
  for (let c = 0; c < img.c; c++) {
    const plane = c * img.h * img.w;
    for (let y = 0; y < h; y++) {
      const row0 = plane + ys.i0[y] * img.w;
      const row1 = plane + ys.i1[y] * img.w;
      for (let x = 0; x < w; x++) {
        const a = img.data[row0 + xs.i0[x]] * xs.l0[x] + img.data[row0 + xs.i1[x]] * xs.l1[x];
        const b = img.data[row1 + xs.i0[x]] * xs.l0[x] + img.data[row1 + xs.i1[x]] * xs.l1[x];
        out.data[(c * h + y) * w + x] = ys.l0[y] * a + ys.l1[y] * b;
      }
    }
  }
  return out;
}

/** Source indices and weights along one axis, as ATen's upsample_bilinear2d computes them. */
function taps(inSize: number, outSize: number) {
  const scale = Math.fround(inSize / outSize);
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const l0 = new Float32Array(outSize);
  const l1 = new Float32Array(outSize);
  for (let o = 0; o < outSize; o++) {
    const real = Math.max(0, Math.fround(Math.fround(scale * (o + 0.5)) - 0.5));
    const index = Math.floor(real);
    i0[o] = index;
    i1[o] = index + (index < inSize - 1 ? 1 : 0);
    l1[o] = Math.fround(real - index);
    l0[o] = Math.fround(1 - l1[o]);
  }
  return { i0, i1, l0, l1 };
}

export function flipHorizontal(img: Img): Img {
  const out = image(img.c, img.h, img.w);
  for (let row = 0; row < img.c * img.h; row++) {
    const base = row * img.w;
    for (let x = 0; x < img.w; x++) out.data[base + x] = img.data[base + img.w - 1 - x];
  }
  return out;
}

export function flipVertical(img: Img): Img {
  const out = image(img.c, img.h, img.w);
  for (let c = 0; c < img.c; c++) {
    for (let y = 0; y < img.h; y++) {
      const from = (c * img.h + img.h - 1 - y) * img.w;
      out.data.set(img.data.subarray(from, from + img.w), (c * img.h + y) * img.w);
    }
  }
  return out;
}
