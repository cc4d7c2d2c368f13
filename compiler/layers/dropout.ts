// Dropout with reproducible masks from a counter-based hash in 32-bit ONNX integer ops: the
// mask of an element is a pure function of (recipe seed, layer path, step counter, element
// index), so the same spec and seed give the same masks on any provider, a step can be re-run
// (finite differences, resumed runs) and every step differs. docs/decisions/0002-dropout-masks.md
// says why not RandomUniformLike. Eval mode has no mask.
import type { GraphBuilder } from '../ir/builder.js';
import { reshape } from '../ir/ops-helpers.js';
import { onnx } from '../ops/index.js';
import { num } from '../vocabulary/values.js';
import { numberArg, stringArg } from '../vocabulary/args.js';
import type { LayerDef, LowerContext } from '../vocabulary/defs.js';
import { noParams } from '../vocabulary/defs.js';

const MODES = ['example', 'batch'];

/** FNV-1a of a string: a per-layer salt. */
function salt(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  return h;
}

/**
 * Hash values uniform in [0, 2³²) (uint32), one per element of `indices` (uint32). The index
 * times an odd constant is XORed with a per-step key, then goes through murmur3's finalizer
 * rounds (h ^= h >> s; h *= m) in uint32 arithmetic. Each stage is a bijection of 32-bit
 * words, so the elements of one step never share a value; the XOR, unlike an added offset,
 * keeps one step's mask from being a shifted copy of another's. 32-bit words and no `Mod`: the
 * int64 hash this replaced (three rounds of h² + c mod 2³¹ − 1) was far slower
 * (docs/decisions/0002-dropout-masks.md).
 */
function hashInts(b: GraphBuilder, indices: string, step: string, seedSalt: number) {
  const u = (v: number) => b.scalar(v, 'uint32');
  const shift = (x: string, n: number) => b.op(onnx.BitShift, [x, u(n)], { direction: 'RIGHT' });
  const round = (x: string, s: number, m: number) =>
    b.op(onnx.Mul, [b.op(onnx.BitwiseXor, [x, shift(x, s)]), u(m)]);
  const finalize = (x: string) => round(round(x, 16, 0x85ebca6b), 13, 0xc2b2ae35);
  const stepBits = b.op(onnx.Mod, [step, b.scalar(2 ** 32, 'int64')]);
  const weyl = b.op(onnx.Mul, [b.op(onnx.Cast, [stepBits], { to: 'uint32' }), u(0x9e3779b9)]);
  const key = finalize(b.op(onnx.Add, [weyl, u(seedSalt)]));
  return finalize(b.op(onnx.BitwiseXor, [b.op(onnx.Mul, [indices, u(0x27d4eb2d)]), key]));
}

/** Element indices (uint32) shaped like `x` (per example) or like one example (per batch). */
function elementIndices(b: GraphBuilder, x: string, perBatch: boolean): string {
  const shape = b.info(x).shape;
  const int = (v: number) => b.scalar(v, 'int32');
  const unsigned = (v: string) => b.op(onnx.Cast, [v], { to: 'uint32' });
  if (perBatch) {
    const features = shape.slice(1) as number[];
    const count = features.reduce((n, d) => n * d, 1);
    const flat = b.op(onnx.Range, [int(0), int(count), int(1)]);
    return unsigned(reshape(b, flat, [1, ...features]));
  }
  const size = b.op(onnx.Cast, [b.op(onnx.Size, [x])], { to: 'int32' });
  const flat = b.op(onnx.Range, [int(0), size, int(1)]);
  return unsigned(b.reshapeLike(flat, x));
}

function lowerDropout(
  b: GraphBuilder,
  x: string,
  p: number,
  perBatch: boolean,
  ctx: LowerContext,
): string {
  if (ctx.mode === 'eval' || p === 0) return b.op(onnx.Identity, [x]);
  if (ctx.step === undefined || ctx.seed === undefined)
    throw new Error('Dropout in train mode needs the step counter and seed');
  if (p === 1) return b.op(onnx.Mul, [x, b.scalar(0)]);
  const hash = hashInts(
    b,
    elementIndices(b, x, perBatch),
    ctx.step,
    salt(`${ctx.seed}:${b.origin}`),
  );
  // h < (1 − p)·2³² ⇔ h/2³² < 1 − p: compared as unsigned integers. Inverted dropout, as
  // torch: kept elements are scaled by 1/(1−p), so eval needs no rescaling. The mask is a float
  // factor (0 or 1/(1−p)) so that the forward and backward passes are one Mul each.
  const threshold = Math.min(2 ** 32 - 1, Math.round((1 - p) * 2 ** 32));
  const kept = b.op(onnx.Less, [hash, b.scalar(threshold, 'uint32')]);
  const factor = b.op(onnx.Mul, [
    b.op(onnx.Cast, [kept], { to: b.floatType }),
    b.scalar(1 / (1 - p)),
  ]);
  return b.op(onnx.Mul, [x, factor]);
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
  infer([input], args) {
    const per = stringArg(args, 'per');
    if (!MODES.includes(per))
      return { error: `Dropout: per must be "example" or "batch", found "${per}"`, arg: 'per' };
    return { shape: input };
  },
  params: noParams,
  lower: (b, [x], _params, args, ctx) =>
    lowerDropout(b, x, numberArg(args, 'p'), stringArg(args, 'per') === 'batch', ctx),
};
