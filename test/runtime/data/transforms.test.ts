// Transforms against torchvision 0.14 itself: each deterministic core (pad, crop, resize,
// flips, rotate, affine, colour adjustments, grayscale, normalize) on small known images, with
// the same parameters; the random parts (parameter sampling) are tested for range and seeding.
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../compiler/index.js';
import type { TransformStep } from '../../../compiler/index.js';
import { affine, rotate } from '../../../runtime/data/transforms/affine.js';
import {
  brightness,
  contrast,
  grayscale,
  hue,
  saturation,
} from '../../../runtime/data/transforms/color.js';
import type { Img, PaddingMode } from '../../../runtime/data/transforms/image.js';
import {
  centerCrop,
  crop,
  flipHorizontal,
  flipVertical,
  pad,
  resize,
  resizedSize,
} from '../../../runtime/data/transforms/image.js';
import {
  normalize,
  outputShape,
  pipeline,
  sampleAffine,
} from '../../../runtime/data/transforms/pipeline.js';
import { python, ROOT } from '../../helpers/spec.js';
import { recipeOf } from '../../helpers/spec.js';

const ORACLE = `${ROOT}/test/oracle/transforms_torchvision.py`;

/** A c×h×w image with distinct values in [0, 1]. */
function ramp(c: number, h: number, w: number, seed = 1): Img {
  const rng = new Rng(seed, 'ramp');
  const data = Float32Array.from({ length: c * h * w }, () => Math.round(rng.next() * 255) / 255);
  return { data, c, h, w };
}

function lit(h: number, w: number, y: number, x: number): Img {
  const img = { data: new Float32Array(h * w), c: 1, h, w };
  img.data[y * w + x] = 1;
  return img;
}

interface Case {
  name: string;
  img: Img;
  ours: (img: Img) => Img;
  torch: Record<string, unknown>;
  tolerance?: number;
}

const cases: Case[] = [];
const add = (
  name: string,
  img: Img,
  ours: (img: Img) => Img,
  torch: Record<string, unknown>,
  tolerance = 0,
) => cases.push({ name, img, ours, torch, tolerance });

for (const mode of ['constant', 'edge', 'reflect', 'symmetric'] as PaddingMode[]) {
  add(`pad ${mode} [1,2,3,1]`, ramp(2, 4, 5), (i) => pad(i, [1, 2, 3, 1], [0.5], mode), {
    op: 'pad',
    padding: [1, 2, 3, 1],
    fill: 0.5,
    mode,
  });
}
add('crop inside', ramp(1, 6, 6), (i) => crop(i, 1, 2, 3, 4), {
  op: 'crop',
  top: 1,
  left: 2,
  h: 3,
  w: 4,
});
add('crop past the edges (zeros)', ramp(1, 4, 4), (i) => crop(i, -2, 1, 5, 6), {
  op: 'crop',
  top: -2,
  left: 1,
  h: 5,
  w: 6,
});
add(
  'RandomCrop offsets on 4-padded 28² (top 0, left 8)',
  ramp(1, 28, 28),
  (i) => crop(pad(i, [4, 4, 4, 4], [0], 'constant'), 0, 8, 28, 28),
  { op: 'crop', top: -4, left: 4, h: 28, w: 28 },
);
add('center crop odd margins', ramp(1, 7, 8), (i) => centerCrop(i, 4, 5), {
  op: 'center_crop',
  size: [4, 5],
});
add('center crop larger (pads)', ramp(1, 3, 4), (i) => centerCrop(i, 6, 7), {
  op: 'center_crop',
  size: [6, 7],
});
add(
  'resize down 28→14',
  ramp(1, 28, 28),
  (i) => resize(i, 14, 14),
  { op: 'resize', size: [14, 14] },
  1e-6,
);
add(
  'resize up 5×7→9×4',
  ramp(3, 5, 7),
  (i) => resize(i, 9, 4),
  { op: 'resize', size: [9, 4] },
  1e-6,
);
add(
  'resize smaller edge 10×20→5',
  ramp(1, 10, 20),
  (i) => resize(i, ...resizedSize(10, 20, [5])),
  { op: 'resize', size: [5] },
  1e-6,
);
add('hflip', ramp(2, 3, 5), flipHorizontal, { op: 'hflip' });
add('vflip', ramp(2, 3, 5), flipVertical, { op: 'vflip' });
for (const angle of [90, -90, 180, 45, 30]) {
  add(`rotate a lit pixel by ${angle}°`, lit(9, 9, 2, 6), (i) => rotate(i, angle, [0]), {
    op: 'rotate',
    angle,
    fill: 0,
  });
}
add('rotate 28² by 17° with fill 0.25', ramp(1, 28, 28), (i) => rotate(i, 17, [0.25]), {
  op: 'rotate',
  angle: 17,
  fill: 0.25,
});
add(
  'affine translate (3, -2)',
  ramp(1, 10, 10),
  (i) => affine(i, { angle: 0, translate: [3, -2], scale: 1, shear: [0, 0] }, [0]),
  { op: 'affine', angle: 0, translate: [3, -2], scale: 1, shear: [0, 0], fill: 0 },
);
add(
  'affine everything',
  ramp(1, 16, 16),
  (i) => affine(i, { angle: 33, translate: [1, 2], scale: 1.3, shear: [10, -5] }, [0]),
  { op: 'affine', angle: 33, translate: [1, 2], scale: 1.3, shear: [10, -5], fill: 0 },
);
add(
  'brightness 1.4',
  ramp(1, 6, 6),
  (i) => brightness(i, 1.4),
  { op: 'brightness', factor: 1.4 },
  1e-6,
);
add(
  'contrast 0.6 (gray)',
  ramp(1, 6, 6),
  (i) => contrast(i, 0.6),
  { op: 'contrast', factor: 0.6 },
  1e-6,
);
add(
  'contrast 1.7 (rgb)',
  ramp(3, 5, 6),
  (i) => contrast(i, 1.7),
  { op: 'contrast', factor: 1.7 },
  1e-6,
);
add(
  'saturation 0.3',
  ramp(3, 5, 6),
  (i) => saturation(i, 0.3),
  { op: 'saturation', factor: 0.3 },
  1e-6,
);
add('saturation on 1 channel is identity', ramp(1, 5, 6), (i) => saturation(i, 0.3), {
  op: 'saturation',
  factor: 0.3,
});
add('hue +0.2', ramp(3, 5, 6), (i) => hue(i, 0.2), { op: 'hue', factor: 0.2 }, 1e-5);
add('hue -0.45', ramp(3, 5, 6), (i) => hue(i, -0.45), { op: 'hue', factor: -0.45 }, 1e-5);
add(
  'grayscale to 3',
  ramp(3, 4, 4),
  (i) => grayscale(i, 3),
  { op: 'grayscale', channels: 3 },
  1e-7,
);
add(
  'normalize',
  ramp(3, 4, 4),
  (i) => normalize(i, [0.1, 0.2, 0.3], [0.5, 0.25, 2]),
  { op: 'normalize', mean: [0.1, 0.2, 0.3], std: [0.5, 0.25, 2] },
  1e-6,
);

describe('transforms match torchvision', () => {
  const input = cases.map((c) => ({
    ...c.torch,
    shape: [c.img.c, c.img.h, c.img.w],
    data: Array.from(c.img.data),
  }));
  const result = python(ORACLE, [], Buffer.from(JSON.stringify(input)));
  if (result.status !== 0) throw new Error(result.stderr);
  const expected = JSON.parse(result.stdout) as { shape: number[]; data: number[] }[];

  it.each(cases.map((c, i) => [c.name, i] as const))('%s', (_name, i) => {
    const ours = cases[i].ours(cases[i].img);
    expect([ours.c, ours.h, ours.w]).toEqual(expected[i].shape);
    const worst = Math.max(0, ...expected[i].data.map((v, k) => Math.abs(v - ours.data[k])));
    expect(worst).toBeLessThanOrEqual(cases[i].tolerance ?? 0);
  });
});

describe('random parameters', () => {
  const step = (name: string, args: TransformStep['args']): TransformStep => ({
    name,
    args,
    trainOnly: true,
    span: undefined as never,
  });

  it('RandomAffine draws integer translations within ±fraction·size and angles within degrees', () => {
    const args = { degrees: [-90, 90], translate: [0.1, 0.2], scale: null, shear: null };
    const rng = new Rng(3, 'test');
    for (let k = 0; k < 200; k++) {
      const p = sampleAffine(rng, args, 28, 20);
      expect(Math.abs(p.angle)).toBeLessThanOrEqual(90);
      expect(Number.isInteger(p.translate[0]) && Math.abs(p.translate[0]) <= 3).toBe(true);
      expect(Number.isInteger(p.translate[1]) && Math.abs(p.translate[1]) <= 4).toBe(true);
    }
  });

  it('the same (seed, epoch, example) gives the same augmentation; another seed does not', () => {
    const steps = [
      step('RandomCrop', {
        size: [28],
        padding: [4, 4, 4, 4],
        pad_if_needed: false,
        fill: [0],
        padding_mode: 'constant',
      }),
      step('RandomRotation', { degrees: [-90, 90], fill: [0] }),
    ];
    const run = pipeline(steps, true);
    const img = ramp(1, 28, 28);
    const a = run(img, new Rng(1, 'x')).data;
    expect(run(img, new Rng(1, 'x')).data).toEqual(a);
    expect(run(img, new Rng(2, 'x')).data).not.toEqual(a);
    expect(pipeline(steps, false)(img, new Rng(1, 'x')).data).toEqual(img.data); // not on test data
  });

  it('output shapes are known before any data is seen', () => {
    const steps = [
      step('Resize', { size: [32] }),
      step('CenterCrop', { size: [24, 20] }),
      step('Grayscale', { num_output_channels: 3 }),
    ];
    expect(outputShape(steps, [1, 64, 128])).toEqual([3, 24, 20]);
  });
});

describe('transform blocks in specs', () => {
  const spec = (steps: string) => `
dataset D { train = idx("a", "b") }
transform Aug {
${steps}
}
network N { input x: [1, 28, 28]  x -> Flatten -> Linear(784, 10) }
train T { model = N()  data = D, batch: 8, transform: Aug, drop_last: true  loss = cross_entropy  optimizer = SGD(lr: 0.1)  epochs = 1 }
`;
  it('binds torchvision arguments and normalizes their forms', () => {
    const recipe = recipeOf(
      spec(
        '  RandomCrop(28, padding: 4)\n  RandomAffine(90, translate: [0.1, 0.1])\n  ColorJitter(brightness: 0.2)\n  Normalize(mean: auto, std: auto)',
      ),
    );
    expect(recipe.dropLast).toBe(true);
    const [cropStep, affineStep, jitter, norm] = recipe.transform!.steps;
    expect(cropStep.args.padding).toEqual([4, 4, 4, 4]);
    expect(affineStep.args.degrees).toEqual([-90, 90]);
    expect(jitter.args.brightness).toEqual([0.8, 1.2]);
    expect(norm.args.mean).toBe('auto');
    expect(norm.trainOnly).toBe(false);
    expect(cropStep.trainOnly).toBe(true);
  });

  it('reports unknown transforms and bad argument forms with positions', () => {
    expect(() => recipeOf(spec('  RandomCrp(28)'))).toThrow(
      /unknown transform 'RandomCrp'; did you mean 'RandomCrop'/,
    );
    expect(() => recipeOf(spec('  RandomCrop(28, padding: [1, 2, 3])'))).toThrow(
      /'padding' must be/,
    );
    expect(() => recipeOf(spec('  ColorJitter(hue: 0.7)'))).toThrow(
      /'hue' must be a number in \[0, 0.5\]/,
    );
  });
});
