import type { ArgSpec } from './vocabulary/args.js';
import type { SpecValue } from './vocabulary/values.js';
import { bool, int, num } from './vocabulary/values.js';
import type { TransformDef } from './vocabulary/defs.js';
import { registry } from './vocabulary/registry.js';
// The transform registry: torchvision.transforms by name, with torchvision's argument names,
// order and defaults. The checker binds `transform` steps against it; the runtime implements
// each entry (runtime/data/transforms/); docs and editors read the same table.

const NONE: SpecValue = { t: 'name', name: 'None' };
const str = (v: string): SpecValue => ({ t: 'str', v });

/** `any`-typed arguments whose accepted forms the transform checker validates. */
const arg = (name: string, doc: string, def?: SpecValue, type: ArgSpec['type'] = 'any') => ({
  name,
  type,
  doc,
  ...(def ? { default: def } : {}),
});

export const TRANSFORMS = registry<TransformDef>()({
  ToTensor: {
    name: 'ToTensor',
    doc: 'pixels to float tensors in [0, 1] (netspec always does this; kept for torchvision parity)',
    args: [],
    trainOnly: false,
  },
  Normalize: {
    name: 'Normalize',
    doc: '(x - mean) / std per channel; `auto` computes them from the training split',
    args: [
      arg('mean', 'a number, one per channel, or auto'),
      arg('std', 'a number, one per channel, or auto'),
      arg('inplace', 'ignored (torchvision parity)', bool(false), 'bool'),
    ],
    trainOnly: false,
  },
  RandomCrop: {
    name: 'RandomCrop',
    doc: 'crops a random size×size window, after optional padding',
    args: [
      arg('size', 'output size: an integer or [height, width]'),
      arg('padding', 'int, [left/right, top/bottom] or [left, top, right, bottom]', NONE),
      arg('pad_if_needed', 'pad images smaller than size', bool(false), 'bool'),
      arg('fill', 'fill value for constant padding (number or one per channel)', int(0)),
      arg('padding_mode', 'constant, edge, reflect or symmetric', str('constant'), 'string'),
    ],
    trainOnly: true,
  },
  CenterCrop: {
    name: 'CenterCrop',
    doc: 'crops the central size×size window (pads with 0 when the image is smaller)',
    args: [arg('size', 'output size: an integer or [height, width]')],
    trainOnly: false,
  },
  Resize: {
    name: 'Resize',
    doc: 'bilinear resize (antialias off, as torchvision on tensors); an integer matches the smaller edge',
    args: [arg('size', 'an integer (smaller edge) or [height, width]')],
    trainOnly: false,
  },
  RandomHorizontalFlip: {
    name: 'RandomHorizontalFlip',
    doc: 'mirrors left-right with probability p',
    args: [arg('p', 'probability', num(0.5), 'number')],
    trainOnly: true,
  },
  RandomVerticalFlip: {
    name: 'RandomVerticalFlip',
    doc: 'mirrors top-bottom with probability p',
    args: [arg('p', 'probability', num(0.5), 'number')],
    trainOnly: true,
  },
  RandomRotation: {
    name: 'RandomRotation',
    doc: 'rotates by an angle uniform in [-degrees, degrees] (or [min, max]), nearest, about the center',
    args: [
      arg('degrees', 'a number d for [-d, d], or [min, max]'),
      arg('interpolation', 'only nearest', str('nearest'), 'string'),
      arg('expand', 'only false', bool(false), 'bool'),
      arg('center', 'only None (the image center)', NONE),
      arg('fill', 'value for pixels from outside the image', int(0)),
    ],
    trainOnly: true,
  },
  RandomAffine: {
    name: 'RandomAffine',
    doc: 'random rotation, translation, scale and shear (nearest), torchvision.transforms.RandomAffine',
    args: [
      arg('degrees', 'a number d for [-d, d], or [min, max]'),
      arg('translate', '[a, b]: |dx| ≤ a·width, |dy| ≤ b·height', NONE),
      arg('scale', '[min, max] scale factor', NONE),
      arg('shear', 'a number s for x in [-s, s], [min, max], or [xmin, xmax, ymin, ymax]', NONE),
      arg('interpolation', 'only nearest', str('nearest'), 'string'),
      arg('fill', 'value for pixels from outside the image', int(0)),
    ],
    trainOnly: true,
  },
  ColorJitter: {
    name: 'ColorJitter',
    doc: 'random brightness, contrast, saturation and hue, in random order',
    args: [
      arg('brightness', 'b for a factor in [max(0, 1-b), 1+b], or [min, max]', int(0)),
      arg('contrast', 'c for a factor in [max(0, 1-c), 1+c], or [min, max]', int(0)),
      arg('saturation', 's for a factor in [max(0, 1-s), 1+s], or [min, max]', int(0)),
      arg('hue', 'h ≤ 0.5 for a shift in [-h, h], or [min, max]', int(0)),
    ],
    trainOnly: true,
  },
  Grayscale: {
    name: 'Grayscale',
    doc: 'ITU-R 601-2 luma (0.2989 R + 0.587 G + 0.114 B), 1 or 3 output channels',
    args: [arg('num_output_channels', '1 or 3', int(1), 'int')],
    trainOnly: false,
  },
});
