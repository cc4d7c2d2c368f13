// Affine warps with nearest interpolation, exactly as torchvision 0.14 does on tensors:
// `_get_inverse_affine_matrix` (the output→input map about the image center), then
// `_gen_affine_grid` + `grid_sample(mode='nearest', align_corners=False)`, pixels from outside
// the image taking the fill value. RandomRotation is the same warp with angle -θ.
import type { Img } from './image.js';
import { image } from './image.js';

export interface AffineParams {
  /** Degrees, counter-clockwise as torchvision. */
  angle: number;
  /** Pixels [tx, ty]. */
  translate: [number, number];
  scale: number;
  /** Degrees [sx, sy]. */
  shear: [number, number];
}

const radians = (deg: number) => (deg * Math.PI) / 180;

/** torchvision.transforms.functional._get_inverse_affine_matrix with center [0, 0]. */
export function inverseAffineMatrix(p: AffineParams): number[] {
  const rot = radians(p.angle);
  const sx = radians(p.shear[0]);
  const sy = radians(p.shear[1]);
  const [tx, ty] = p.translate;
  const a = Math.cos(rot - sy) / Math.cos(sy);
  const b = (-Math.cos(rot - sy) * Math.tan(sx)) / Math.cos(sy) - Math.sin(rot);
  const c = Math.sin(rot - sy) / Math.cos(sy);
  const d = (-Math.sin(rot - sy) * Math.tan(sx)) / Math.cos(sy) + Math.cos(rot);
  const m = [d, -b, 0, -c, a, 0].map((x) => x / p.scale);
  m[2] += m[0] * -tx + m[1] * -ty;
  m[5] += m[3] * -tx + m[4] * -ty;
  return m;
}

/** F.affine(img, angle, translate, scale, shear, NEAREST, fill). */
export function affine(img: Img, p: AffineParams, fill: number[]): Img {
  return warp(img, inverseAffineMatrix(p), fill);
}

/** F.rotate(img, angle, NEAREST, expand=False, center=None, fill). */
export function rotate(img: Img, angle: number, fill: number[]): Img {
  const p: AffineParams = { angle: -angle, translate: [0, 0], scale: 1, shear: [0, 0] };
  return warp(img, inverseAffineMatrix(p), fill);
}

/**
 * Output pixel (x, y), measured from the image center at pixel centers, reads input
 * m·[x, y, 1] (also from the center). The matrix is rounded to float32 as torch holds it.
 */
function warp(img: Img, matrix: number[], fill: number[]): Img {
  const m = matrix.map(Math.fround);
  const { c: channels, h, w } = img;
  const out = image(channels, h, w);
  for (let y = 0; y < h; y++) {
    const gy = -h * 0.5 + 0.5 + y;
    for (let x = 0; x < w; x++) {
      const gx = -w * 0.5 + 0.5 + x;
      // grid_sample's unnormalization of (m·[x,y,1]) / (w/2) with align_corners=False.
      const ix = roundHalfEvenInt(m[0] * gx + m[1] * gy + m[2] + (w - 1) / 2);
      const iy = roundHalfEvenInt(m[3] * gx + m[4] * gy + m[5] + (h - 1) / 2);
      const inside = ix >= 0 && ix < w && iy >= 0 && iy < h;
      for (let c = 0; c < channels; c++) {
        out.data[(c * h + y) * w + x] = inside
          ? img.data[(c * h + iy) * w + ix]
          : fill[Math.min(c, fill.length - 1)];
      }
    }
  }
  return out;
}

/** std::nearbyint under the default rounding mode: halves to even. */
function roundHalfEvenInt(x: number): number {
  const f = Math.floor(x);
  const diff = x - f;
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}
