// The schema of a checkpoint's state.json, checked before anything uses it: a hand-edited or
// corrupt file is one message naming the field (`control.progress.epoch: expected an integer
// ≥ 1, found "many"`), never a crash deep inside the training loop.
import type { CheckpointState } from './checkpoint.js';

/**
 * A check of one value: undefined when it fits, else where and what was expected, as a path
 * suffix and a reason: `.epoch: expected an integer ≥ 1, found "many"` (a leaf: `: expected …`).
 */
type Check = (value: unknown) => string | undefined;

const found = (value: unknown) => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
};

const integer =
  (min: number): Check =>
  (v) =>
    Number.isSafeInteger(v) && (v as number) >= min
      ? undefined
      : `: expected an integer ≥ ${min}, found ${found(v)}`;

// JSON has no NaN: a loss that was NaN is saved as null.
const metric: Check = (v) =>
  v === null || typeof v === 'number' ? undefined : `: expected a number, found ${found(v)}`;

const text: Check = (v) =>
  typeof v === 'string' ? undefined : `: expected a string, found ${found(v)}`;

const exactly =
  (expected: unknown): Check =>
  (v) =>
    v === expected ? undefined : `: expected ${found(expected)}, found ${found(v)}`;

const optional =
  (check: Check): Check =>
  (v) =>
    v === undefined ? undefined : check(v);

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** An object whose listed fields pass their checks (other fields are allowed). */
function object(fields: Record<string, Check>): Check {
  return (v) => {
    if (!isObject(v)) return `: expected an object, found ${found(v)}`;
    for (const [name, check] of Object.entries(fields)) {
      const problem = check(v[name]);
      if (problem) return `.${name}${problem}`;
    }
    return undefined;
  };
}

function arrayOf(check: Check): Check {
  return (v) => {
    if (!Array.isArray(v)) return `: expected a list, found ${found(v)}`;
    for (const [i, item] of v.entries()) {
      const problem = check(item);
      if (problem) return `[${i}]${problem}`;
    }
    return undefined;
  };
}

function recordOf(check: Check): Check {
  return (v) => {
    if (!isObject(v)) return `: expected an object, found ${found(v)}`;
    for (const [name, item] of Object.entries(v)) {
      const problem = check(item);
      if (problem) return `.${name}${problem}`;
    }
    return undefined;
  };
}

const EPOCH_METRICS = object({
  epoch: integer(1),
  trainLoss: metric,
  trainAccuracy: metric,
  testLoss: optional(metric),
  testAccuracy: optional(metric),
  valLoss: optional(metric),
  valAccuracy: optional(metric),
  lr: metric,
  monitors: optional(recordOf(metric)),
  imagesPerSecond: metric,
  seconds: metric,
  dataSeconds: optional(metric),
});

const PROGRESS = object({
  epoch: integer(1),
  batchesDone: integer(0),
  lossSum: metric,
  correct: integer(0),
  seen: integer(0),
  seconds: metric,
  dataSeconds: optional(metric),
});

const SHA256: Check = (v) =>
  typeof v === 'string' && /^[0-9a-f]{64}$/.test(v)
    ? undefined
    : `: expected a SHA-256 digest, found ${found(v)}`;

const TENSOR_FILES = ['model.safetensors', 'optimizer.safetensors'];

/** Digests of the checkpoint's own tensor files, and of no other file. */
const CHECKSUMS: Check = (v) => {
  const other = isObject(v) && Object.keys(v).find((name) => !TENSOR_FILES.includes(name));
  return other
    ? `: expected digests of ${TENSOR_FILES.join(' and ')}, found one of ${found(other)}`
    : recordOf(SHA256)(v);
};

/** The per-step log the run's report draws (step-log.ts), column by column. */
const STEP_LOG = object({
  step: arrayOf(integer(1)),
  epoch: arrayOf(integer(1)),
  loss: arrayOf(metric),
  accuracy: arrayOf(metric),
  lr: arrayOf(metric),
  terms: recordOf(arrayOf(metric)),
  monitors: recordOf(arrayOf(metric)),
});

const STATE = object({
  format: exactly('netspec-checkpoint'),
  version: exactly(1),
  recipe: text,
  epoch: integer(0),
  step: integer(0),
  history: arrayOf(EPOCH_METRICS),
  stepsAtEpoch: arrayOf(integer(0)),
  steps: optional(STEP_LOG),
  checksums: optional(CHECKSUMS),
  control: object({ progress: PROGRESS }),
});

/** Why `value` is not a checkpoint state (`field: what was expected`), or undefined. */
export function stateProblem(value: unknown): string | undefined {
  const problem = STATE(value);
  // `.control.progress.epoch: expected …` → `control.progress.epoch: expected …`
  if (problem) return problem.replace(/^[.:]\s*/, '');
  const state = value as CheckpointState;
  if (state.stepsAtEpoch.length !== state.history.length)
    return `stepsAtEpoch: expected ${state.history.length} entries (one per epoch of history), found ${state.stepsAtEpoch.length}`;
  if (state.epoch !== state.history.length)
    return `epoch: expected ${state.history.length} (the epochs in history), found ${state.epoch}`;
  return undefined;
}
