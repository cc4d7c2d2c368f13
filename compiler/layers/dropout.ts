// Dropout with reproducible masks from a counter-based hash in int64 ONNX ops: the mask of an
// element is a pure function of (recipe seed, layer path, step counter, element index), so
// the same spec and seed give the same masks on any provider, a step can be re-run (finite
// differences, resumed runs) and every step differs. See ARCHITECTURE.md for why not
// RandomUniformLike. Eval mode has no mask.
import { num, numberArg, stringArg } from '../check/args.js';
import type { GraphBuilder } from '../ir/builder.js';
import { shapeArg } from '../ir/ops-helpers.js';
import type { LayerDef, LowerContext } from './layer.js';
import { noParams } from './layer.js';

/** The Mersenne prime 2³¹ − 1: hash values stay below it, so squares fit in int64. */
const PRIME = 2147483647;
const MODES = ['example', 'batch'];

/** FNV-1a of a string, reduced below PRIME: a per-layer salt. */
function salt(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  return h % PRIME;
}

/**
 * Hash values uniform in [0, PRIME), one per element of `indices` (int64): an affine map of the
 * index and the step key, then three rounds of h ← (h² + c) mod p to break the affine lattice.
 */
function hashInts(b: GraphBuilder, indices: string, step: string, seedSalt: number) {
  const int = (v: number) => b.scalar(v, 'int64');
  const mod = (x: string) => b.op('Mod', [x, int(PRIME)]);
  const stepKey = mod(b.op('Add', [b.op('Mul', [mod(step), int(48271)]), int(seedSalt)]));
  let h = mod(b.op('Add', [b.op('Mul', [indices, int(1103515245)]), stepKey]));
  for (const c of [12345, 2531011, 907633385]) h = mod(b.op('Add', [b.op('Mul', [h, h]), int(c)]));
  return h;
}

/** Element indices shaped like `x` (per example) or like one example (per batch). */
function elementIndices(b: GraphBuilder, x: string, perBatch: boolean): string {
  const shape = b.info(x).shape;
  const int = (v: number) => b.scalar(v, 'int64');
  if (perBatch) {
    const features = shape.slice(1) as number[];
    const count = features.reduce((n, d) => n * d, 1);
    const flat = b.op('Range', [int(0), int(count), int(1)], { length: count });
    const dims = [1, ...features];
    return b.op('Reshape', [flat, b.int64s(dims)], { shape: dims });
  }
  const flat = b.op('Range', [int(0), b.op('Size', [x]), int(1)], { length: -1 });
  return b.op('Reshape', [flat, b.op('Shape', [x])], { shape: shapeArg(shape) });
}

function lowerDropout(
  b: GraphBuilder,
  x: string,
  p: number,
  perBatch: boolean,
  ctx: LowerContext,
): string {
  if (ctx.mode === 'eval' || p === 0) return b.op('Identity', [x]);
  if (ctx.step === undefined || ctx.seed === undefined)
    throw new Error('Dropout in train mode needs the step counter and seed');
  if (p === 1) return b.op('Mul', [x, b.scalar(0)]);
  const hash = hashInts(
    b,
    elementIndices(b, x, perBatch),
    ctx.step,
    salt(`${ctx.seed}:${b.origin}`),
  );
  // h < p·PRIME ⇔ h/PRIME < p: compared as integers, saving a Cast and a Div per element.
  const dropped = b.op('Less', [hash, b.scalar(Math.round(p * PRIME), 'int64')]);
  // Inverted dropout, as torch: kept elements are scaled by 1/(1−p), so eval needs no rescaling.
  return b.op('Where', [dropped, b.scalar(0), b.op('Mul', [x, b.scalar(1 / (1 - p))])]);
}

export const Dropout: LayerDef = {
  name: 'Dropout',
  doc: 'Zeroes each element with probability p while training and scales the rest by 1/(1−p); per: "batch" drops a neuron for the whole batch (torch.nn.Dropout).',
  args: [
    {
      name: 'p',
      type: 'number',
      default: num(0.5),
      doc: 'probability of an element to be zeroed',
      min: 0,
      max: 1,
    },
    {
      name: 'per',
      type: 'string',
      default: { t: 'str', v: 'example' },
      doc: '"example": an independent mask per element (torch); "batch": one mask per neuron, shared by the batch',
    },
  ],
  infer(input, args) {
    const per = stringArg(args, 'per');
    if (!MODES.includes(per))
      return { error: `Dropout: per must be "example" or "batch", found "${per}"`, arg: 'per' };
    return { shape: input };
  },
  params: noParams,
  lower: (b, x, _params, args, ctx) =>
    lowerDropout(b, x, numberArg(args, 'p'), stringArg(args, 'per') === 'batch', ctx),
};
