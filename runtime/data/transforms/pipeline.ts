// A checked transform block as a per-example function. Each step is split in two, as
// torchvision's get_params/functional split: `sample` draws the random parameters from the
// example's own seeded stream, `apply` is the deterministic core (tested against torchvision).
import type { TransformName, TransformStep } from '../../../compiler/index.js';
import { Rng } from '../../../compiler/index.js';
import { affine, rotate } from './affine.js';
import type { AffineParams } from './affine.js';
import { brightness, contrast, grayscale, hue, saturation } from './color.js';
import type { Img, PaddingMode } from './image.js';
import {
  centerCrop,
  crop,
  flipHorizontal,
  flipVertical,
  pad,
  resize,
  resizedSize,
} from './image.js';

type Args = TransformStep['args'];
const nums = (args: Args, name: string) => args[name] as number[];

/** Per-channel statistics for Normalize(mean: auto, std: auto). */
export interface ChannelStats {
  mean: number[];
  std: number[];
}

/** A step ready to run: a sampler (may be absent) and the application. */
interface Op {
  name: string;
  sample?: (rng: Rng, img: Img) => unknown;
  apply: (img: Img, params: unknown) => Img;
}

export function cropSize(args: Args): [number, number] {
  const s = nums(args, 'size');
  return [s[0], s[s.length - 1]];
}

/** RandomCrop's padding, then pad_if_needed, as in RandomCrop.forward. */
export function randomCropPad(img: Img, args: Args): Img {
  const [th, tw] = cropSize(args);
  const fill = nums(args, 'fill');
  const mode = args.padding_mode as PaddingMode;
  if (args.padding) img = pad(img, nums(args, 'padding'), fill, mode);
  if (args.pad_if_needed && img.w < tw) img = pad(img, [tw - img.w, 0, tw - img.w, 0], fill, mode);
  if (args.pad_if_needed && img.h < th) img = pad(img, [0, th - img.h, 0, th - img.h], fill, mode);
  return img;
}

/** RandomAffine.get_params: angle, integer translation, scale, shear. */
export function sampleAffine(rng: Rng, args: Args, w: number, h: number): AffineParams {
  const [d0, d1] = nums(args, 'degrees');
  const angle = rng.uniform(d0, d1);
  const t = args.translate as number[] | null;
  const translate: [number, number] = t
    ? [Math.round(rng.uniform(-t[0] * w, t[0] * w)), Math.round(rng.uniform(-t[1] * h, t[1] * h))]
    : [0, 0];
  const s = args.scale as number[] | null;
  const scale = s ? rng.uniform(s[0], s[1]) : 1;
  const sh = args.shear as number[] | null;
  const shear: [number, number] = sh
    ? [rng.uniform(sh[0], sh[1]), sh[2] === sh[3] ? sh[2] : rng.uniform(sh[2], sh[3])]
    : [0, 0];
  return { angle, translate, scale, shear };
}

export type JitterParams = { order: number[]; factors: (number | undefined)[] };

/** ColorJitter.get_params: a random order of the four adjustments and a factor for each. */
export function sampleJitter(rng: Rng, args: Args): JitterParams {
  const order = rng.shuffle([0, 1, 2, 3]);
  const factors = ['brightness', 'contrast', 'saturation', 'hue'].map((name, k) => {
    const [lo, hi] = nums(args, name);
    const identity = k === 3 ? 0 : 1;
    return lo === identity && hi === identity ? undefined : rng.uniform(lo, hi);
  });
  return { order, factors };
}

export function applyJitter(img: Img, p: JitterParams): Img {
  const fns = [brightness, contrast, saturation, hue];
  for (const k of p.order) if (p.factors[k] !== undefined) img = fns[k](img, p.factors[k]!);
  return img;
}

export function normalize(img: Img, mean: number[], std: number[]): Img {
  const plane = img.h * img.w;
  const out = { ...img, data: new Float32Array(img.data.length) };
  for (let c = 0; c < img.c; c++) {
    const m = mean[Math.min(c, mean.length - 1)];
    const s = std[Math.min(c, std.length - 1)];
    for (let p = c * plane; p < (c + 1) * plane; p++) out.data[p] = (img.data[p] - m) / s;
  }
  return out;
}

/** Each transform of the registry, implemented: what it samples per image and how it applies. */
const IMPLEMENTATIONS = {
  ToTensor: (step) => ({ name: step.name, apply: (img) => img }),
  Normalize: (step, stats) => {
    const a = step.args;
    const mean = a.mean === 'auto' ? stats!.mean : nums(a, 'mean');
    const std = a.std === 'auto' ? stats!.std : nums(a, 'std');
    return { name: step.name, apply: (img) => normalize(img, mean, std) };
  },
  RandomCrop: (step) => {
    const a = step.args;
    return {
      name: step.name,
      sample: (rng, img) => {
        const padded = randomCropPad(img, a);
        const [th, tw] = cropSize(a);
        if (padded.h < th || padded.w < tw)
          throw new RangeError(
            `RandomCrop: size ${th}×${tw} is larger than the image ${padded.h}×${padded.w}`,
          );
        return { padded, top: rng.below(padded.h - th + 1), left: rng.below(padded.w - tw + 1) };
      },
      apply: (_img, p) => {
        const { padded, top, left } = p as { padded: Img; top: number; left: number };
        const [th, tw] = cropSize(a);
        return crop(padded, top, left, th, tw);
      },
    };
  },
  CenterCrop: (step) => ({
    name: step.name,
    apply: (img) => centerCrop(img, ...cropSize(step.args)),
  }),
  Resize: (step) => ({
    name: step.name,
    apply: (img) => resize(img, ...resizedSize(img.h, img.w, nums(step.args, 'size'))),
  }),
  RandomHorizontalFlip: (step) => randomFlip(step, flipHorizontal),
  RandomVerticalFlip: (step) => randomFlip(step, flipVertical),
  RandomRotation: (step) => ({
    name: step.name,
    sample: (rng) => rng.uniform(nums(step.args, 'degrees')[0], nums(step.args, 'degrees')[1]),
    apply: (img, angle) => rotate(img, angle as number, nums(step.args, 'fill')),
  }),
  RandomAffine: (step) => ({
    name: step.name,
    sample: (rng, img) => sampleAffine(rng, step.args, img.w, img.h),
    apply: (img, p) => affine(img, p as AffineParams, nums(step.args, 'fill')),
  }),
  ColorJitter: (step) => ({
    name: step.name,
    sample: (rng) => sampleJitter(rng, step.args),
    apply: (img, p) => applyJitter(img, p as JitterParams),
  }),
  Grayscale: (step) => ({
    name: step.name,
    apply: (img) => grayscale(img, step.args.num_output_channels as number),
  }),
} satisfies Record<TransformName, (step: TransformStep, stats: ChannelStats | undefined) => Op>;

function randomFlip(step: TransformStep, flip: (img: Img) => Img): Op {
  return {
    name: step.name,
    sample: (rng) => rng.next() < (step.args.p as number),
    apply: (img, flipIt) => (flipIt ? flip(img) : img),
  };
}

/** A checked step names a registry transform (the checker refuses any other name). */
function op(step: TransformStep, stats: ChannelStats | undefined): Op {
  return IMPLEMENTATIONS[step.name as TransformName](step, stats);
}

export type Pipeline = (img: Img, rng: Rng) => Img;

/**
 * The steps that apply to this split (random ones to training only), composed in order.
 * `stats` must be given when a Normalize step uses `auto`.
 */
export function pipeline(
  steps: TransformStep[],
  training: boolean,
  stats?: ChannelStats,
): Pipeline {
  const ops = steps.filter((s) => training || !s.trainOnly).map((s) => op(s, stats));
  return (img, rng) => {
    for (const o of ops) img = o.apply(img, o.sample?.(rng, img));
    return img;
  };
}

/** Does this block need training-set statistics? */
export const needsStats = (steps: TransformStep[]) =>
  steps.some((s) => s.name === 'Normalize' && (s.args.mean === 'auto' || s.args.std === 'auto'));

/** The shape a block produces from [c, h, w] (every step's output size is known without data). */
export function outputShape(steps: TransformStep[], shape: number[]): number[] {
  let [c, h, w] = shape;
  for (const s of steps) {
    if (s.name === 'RandomCrop' || s.name === 'CenterCrop') [h, w] = cropSize(s.args);
    if (s.name === 'Resize') [h, w] = resizedSize(h, w, s.args.size as number[]);
    if (s.name === 'Grayscale') c = s.args.num_output_channels as number;
  }
  return [c, h, w];
}

/** The stream of example `index` in `epoch`: independent of batch order and of which worker runs it. */
export const exampleRng = (seed: number, epoch: number, index: number) =>
  new Rng(seed, `augment:epoch${epoch}:${index}`);
