// Dropout with reproducible masks from a counter-based hash in 32-bit ONNX integer ops: the
// mask of an element is a pure function of (recipe seed, layer path, step counter, element
// index), so the same spec and seed give the same masks on any provider, a step can be re-run
// (finite differences, resumed runs) and every step differs. docs/decisions/0002-dropout-masks.md
// says why not RandomUniformLike. Eval mode has no mask. A target without integer bit operations
// (WebGPU) gets another hash of the same inputs, in multiplications and additions only: its masks
// are as reproducible, but not those of the CPU graph (docs/decisions/0017-webgpu.md).
import type { GraphBuilder } from '../ir/builder.js';
import { tensor } from '../ir/graph.js';
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
  const key = finalize(b.op(onnx.Add, [stepWeyl(b, step), u(seedSalt)]));
  return finalize(b.op(onnx.BitwiseXor, [b.op(onnx.Mul, [indices, u(0x27d4eb2d)]), key]));
}

/** The step as a uint32 (its low 32 bits) on a Weyl sequence: step·⌊2³²/φ⌋ mod 2³². */
function stepWeyl(b: GraphBuilder, step: string): string {
  const bits =
    b.info(step).dtype === 'int64' ? b.op(onnx.Mod, [step, b.scalar(2 ** 32, 'int64')]) : step;
  return b.op(onnx.Mul, [
    b.op(onnx.Cast, [bits], { to: 'uint32' }),
    b.scalar(0x9e3779b9, 'uint32'),
  ]);
}

/**
 * `hashInts` for targets without BitShift and BitwiseXor: the index times an odd constant plus
 * the step's key, then two rounds of h ← rotl(h·(2h + 1), 16) and an odd multiplier. h·(2h + 1)
 * is a permutation polynomial of 32-bit words (nonlinear, as murmur3's XOR-shift) and a
 * rotation by 16 is h·2¹⁶ + ⌊h/2¹⁶⌋: every stage is a bijection, made of Mul, Add and Div by a
 * power of two. Its keep rates and the correlation of neighbouring decisions were compared
 * with murmur3's (docs/decisions/).
 */
function arithmeticHash(b: GraphBuilder, indices: string, step: string, seedSalt: number) {
  const u = (v: number) => b.scalar(v, 'uint32');
  const rotate = (x: string) =>
    b.op(onnx.Add, [b.op(onnx.Mul, [x, u(2 ** 16)]), b.op(onnx.Div, [x, u(2 ** 16)])]);
  const square = (x: string) => b.op(onnx.Mul, [x, b.op(onnx.Add, [b.op(onnx.Add, [x, x]), u(1)])]);
  const finalize = (x: string) =>
    b.op(onnx.Mul, [rotate(square(rotate(square(x)))), u(0x165667b1)]);
  const key = finalize(b.op(onnx.Add, [stepWeyl(b, step), u(seedSalt)]));
  return finalize(b.op(onnx.Add, [b.op(onnx.Mul, [indices, u(0x27d4eb2d)]), key]));
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
  if (!b.runs(onnx.Size, [x])) return countedIndices(b, x);
  const size = b.op(onnx.Cast, [b.op(onnx.Size, [x])], { to: 'int32' });
  const flat = b.op(onnx.Range, [int(0), size, int(1)]);
  return unsigned(b.reshapeLike(flat, x));
}

/**
 * The same indices, n·F + f for example n and feature f, on a target without Size: n counted
 * on the device (a running sum of int32 ones over the batch), f a constant.
 */
function countedIndices(b: GraphBuilder, x: string): string {
  const features = b.info(x).shape.slice(1) as number[];
  const count = features.reduce((n, d) => n * d, 1);
  const batch = b.op(onnx.Shape, [x], { start: 0, end: 1 });
  const ones = b.op(onnx.Expand, [b.scalar(1, 'int32'), batch]);
  const counted = b.op(onnx.CumSum, [ones, b.scalar(0, 'int64')]);
  const example = b.op(onnx.Cast, [b.op(onnx.Sub, [counted, ones])], { to: 'uint32' });
  const first = b.op(onnx.Mul, [
    reshape(b, example, ['N', ...features.map(() => 1)]),
    b.scalar(count, 'uint32'),
  ]);
  const offsets = Uint32Array.from({ length: count }, (_, i) => i);
  const within = b.op(onnx.Constant, [], { value: tensor('uint32', [1, ...features], offsets) });
  return b.op(onnx.Add, [first, within]);
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
  const bitOps = b.runs(onnx.BitShift) && b.runs(onnx.BitwiseXor);
  const hash = (bitOps ? hashInts : arithmeticHash)(
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
