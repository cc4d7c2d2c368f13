// `validation = split(train, 10%, seed: 7, stratify: true)`: a seeded choice of training
// examples moved to a validation split; `take: 5000` on a source or split: a seeded subset.
// Stratified, each class gives the same share (largest remainders decide the rounding), so
// class proportions are kept.
import type { SplitSource, Take } from '../../compiler/index.js';
import { CODES, Rng } from '../../compiler/index.js';
import { UserError } from '../errors.js';
import type { Split } from './sources.js';
import { streamedSplit } from './sources.js';
import { subsetStore } from './store.js';
import { plural } from '../plural.js';

/**
 * `take: 5000` or `take: 10%`: a seeded choice of the split's examples (the same share of
 * each class when stratified), kept in their stored order. More than the split holds is a data
 * error at `take:`.
 */
export function takeSubset(split: Split, take: Take): Split {
  const n = split.count;
  const k = take.size < 1 ? Math.round(take.size * n) : take.size;
  if (k > n || k < 1) {
    const asked = take.size < 1 ? `${take.size * 100}% of ${n} examples is ${k}` : `${k}`;
    const message = `take: ${asked}, but ${split.origin} has ${plural(n, 'example')}`;
    throw new UserError(CODES.dataMismatch, message, take.at);
  }
  const rng = new Rng(take.seed, 'take');
  const chosen = take.stratify
    ? stratified(split.labels, k, rng)
    : Array.from(rng.shuffle(range(n)).subarray(0, k));
  const how = `${k.toLocaleString('en-US')} of ${n.toLocaleString('en-US')}, seed ${take.seed}${take.stratify ? ', stratified' : ''}`;
  // Set, not spread: a streamed split's `images` is a getter that must stay.
  const taken = subset(split, Uint32Array.from(chosen).sort());
  taken.taken = how;
  return taken;
}

export function splitOff(train: Split, spec: SplitSource): { train: Split; validation: Split } {
  const n = train.count;
  const k = spec.size < 1 ? Math.round(spec.size * n) : spec.size;
  if (k < 1 || k >= n) {
    const message = `split: ${spec.size < 1 ? `${spec.size * 100}% of` : `${k} of`} ${n} training examples leaves ${k < 1 ? 'no validation' : 'no training'} examples`;
    throw new UserError(CODES.dataMismatch, message, spec.at);
  }
  const rng = new Rng(spec.seed, 'split');
  const chosen = spec.stratify
    ? stratified(train.labels, k, rng)
    : rng.shuffle(range(n)).subarray(0, k);
  const inValidation = new Uint8Array(n);
  for (const i of chosen) inValidation[i] = 1;
  const keep = range(n).filter((i) => !inValidation[i]);
  const take = range(n).filter((i) => inValidation[i] === 1);
  return { train: subset(train, keep), validation: subset(train, take) };
}

const range = (n: number) => Uint32Array.from({ length: n }, (_, i) => i);

function stratified(labels: Int32Array, k: number, rng: Rng): number[] {
  const byClass = new Map<number, number[]>();
  labels.forEach((label, i) => (byClass.get(label) ?? byClass.set(label, []).get(label)!).push(i));
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  const exact = classes.map((c) => (byClass.get(c)!.length * k) / labels.length);
  const counts = exact.map(Math.floor);
  const byRemainder = classes
    .map((_, j) => j)
    .sort((a, b) => exact[b] - counts[b] - (exact[a] - counts[a]) || a - b);
  const missing = k - counts.reduce((s, c) => s + c, 0);
  for (let r = 0; r < missing; r++) counts[byRemainder[r]]++;
  return classes.flatMap((c, j) => rng.shuffle(byClass.get(c)!.slice()).slice(0, counts[j]));
}

export function subset(split: Split, indices: Uint32Array): Split {
  const labels = Int32Array.from(indices, (i) => split.labels[i]);
  const labelAt = (i: number) => split.labelAt(indices[i]);
  if (split.store) {
    // A streamed split stays on disk: the subset is an index map over the same store.
    const { store, streamed, ...fields } = split;
    const mapped = subsetStore(store, indices);
    return streamedSplit({ ...fields, labels, count: indices.length, labelAt }, mapped, streamed!);
  }
  const pixels = split.imageShape.reduce((a, b) => a * b, 1);
  const images =
    split.images instanceof Float32Array
      ? new Float32Array(indices.length * pixels)
      : new Uint8Array(indices.length * pixels);
  indices.forEach((index, i) =>
    images.set(split.images.subarray(index * pixels, (index + 1) * pixels), i * pixels),
  );
  return { ...split, images, labels, count: indices.length, labelAt };
}
