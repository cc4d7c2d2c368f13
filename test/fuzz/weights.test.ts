// Fuzzing weights and checkpoints: a real run's model.safetensors and checkpoint folder, mutated
// byte-wise and, in their JSON (the safetensors header, state.json), field-wise. `--weights` and
// `--resume` either start or are one error naming the file; nothing outside --out changes.
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { readCheckpoint } from '../../runtime/checkpoint.js';
import { startFrom } from '../../runtime/start-weights.js';
import { tinySpec, writeIdxPair } from '../helpers/idx.js';
import { netspec, recipeOf, tempDir } from '../helpers/spec.js';
import {
  expectCleanExit,
  expectUntouched,
  expectUserError,
  fuzzCli,
  fuzzRuns,
  hangGuard,
  mutated,
  mutatedJson,
} from './fuzz.js';

/** A safetensors file's header as JSON, and the bytes after it. */
function split(bytes: Buffer): { header: unknown; body: Buffer } {
  const length = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + length).toString('utf8'));
  return { header, body: bytes.subarray(8 + length) };
}

function joined(header: unknown, body: Buffer): Buffer {
  const text = Buffer.from(JSON.stringify(header) ?? 'undefined');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(text.length));
  return Buffer.concat([length, text, body]);
}

describe('fuzzing weights and checkpoints', () => {
  let dir: string;
  let model: Buffer;
  let state: Record<string, unknown>;
  const spec = tinySpec('images', 'labels');
  const last = (name: string) => join(dir, 'run/checkpoints/last', name);
  beforeAll(() => {
    dir = tempDir('netspec-fuzz-weights-');
    writeIdxPair(dir, 8);
    writeFileSync(join(dir, 'spec.net'), spec);
    const first = netspec(['train', 'spec.net', '--out', 'run'], dir);
    expect(first.status, first.stderr).toBe(0);
    model = readFileSync(last('model.safetensors'));
    state = JSON.parse(readFileSync(last('state.json'), 'utf8'));
  });

  /** Byte mutations, and the header's fields replaced by edge values. */
  const weights = () =>
    fc.oneof(
      mutated([model]),
      mutatedJson(split(model).header).map((header) => joined(header, split(model).body)),
    );

  const IN_PROCESS = 150;
  it(
    '--weights: a mutated safetensors file starts a run or is one error naming it',
    () => {
      const recipe = recipeOf(spec, join(dir, 'spec.net'));
      const path = join(dir, 'w.safetensors');
      fc.assert(
        fc.property(weights(), (bytes) => {
          writeFileSync(path, bytes);
          expectUserError(() => startFrom(recipe, path), 'w.safetensors');
        }),
        fuzzRuns(IN_PROCESS),
      );
    },
    hangGuard(IN_PROCESS, 100),
  );

  /** A copy of the run's last checkpoint as `ckpt/last`, with a mutated state.json or file. */
  function checkpoint(change: { state?: unknown; file?: [string, Buffer] }): string {
    const ckpt = join(dir, 'ckpt/last');
    rmSync(join(dir, 'ckpt'), { recursive: true, force: true });
    cpSync(join(dir, 'run/checkpoints/last'), ckpt, { recursive: true });
    if (change.state !== undefined)
      writeFileSync(join(ckpt, 'state.json'), JSON.stringify(change.state) ?? '');
    if (change.file) writeFileSync(join(ckpt, change.file[0]), change.file[1]);
    return ckpt;
  }

  /** A mutated state.json; or, without checksums, a mutated tensor file or state.json bytes. */
  const checkpoints = () => {
    const unchecked = { ...state, checksums: undefined };
    const stateBytes = Buffer.from(JSON.stringify(state));
    return fc.oneof(
      mutatedJson(state).map((s) => ({ state: s })),
      fc
        .tuple(fc.constantFrom('model.safetensors', 'optimizer.safetensors'), weights())
        .map(([name, bytes]) => ({ state: unchecked, file: [name, bytes] as [string, Buffer] })),
      mutated([stateBytes]).map((bytes) => ({ file: ['state.json', bytes] as [string, Buffer] })),
    );
  };

  it(
    '--resume: a mutated checkpoint reads or is one error naming its folder',
    () => {
      fc.assert(
        fc.property(checkpoints(), (change) => {
          const ckpt = checkpoint(change);
          expectUserError(() => readCheckpoint(ckpt), 'ckpt/last');
        }),
        fuzzRuns(IN_PROCESS),
      );
    },
    hangGuard(IN_PROCESS, 100),
  );

  const CHILDREN = 4;
  const skip = ['out', '.netspec-cache'];
  it(
    '`train --weights` on a mutated file: exit 0 or 1, nothing outside --out',
    () => {
      fc.assert(
        fc.property(weights(), (bytes) => {
          writeFileSync(join(dir, 'w.safetensors'), bytes);
          rmSync(join(dir, 'out'), { recursive: true, force: true });
          const args = ['train', 'spec.net', '--weights', 'w.safetensors', '--out', 'out'];
          const result = expectUntouched(dir, skip, () => fuzzCli(args, dir));
          expectCleanExit(result, `w.safetensors of ${bytes.length} bytes`);
        }),
        fuzzRuns(CHILDREN),
      );
    },
    hangGuard(CHILDREN, 30_000),
  );

  it(
    '`train --resume` from a mutated checkpoint: exit 0 or 1, the checkpoint untouched',
    () => {
      fc.assert(
        fc.property(checkpoints(), (change) => {
          checkpoint(change);
          rmSync(join(dir, 'out'), { recursive: true, force: true });
          const args = ['train', 'spec.net', '--resume', 'ckpt/last', '--out', 'out'];
          const result = expectUntouched(dir, skip, () => fuzzCli(args, dir));
          expectCleanExit(result, JSON.stringify(change).slice(0, 2000));
        }),
        fuzzRuns(CHILDREN),
      );
    },
    hangGuard(CHILDREN, 30_000),
  );
});
