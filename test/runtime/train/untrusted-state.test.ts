// Weights and checkpoints are read as untrusted input: a safetensors header or a state.json
// that is malformed, a tensor file that is truncated or a folder, is one error naming the file
// and what is wrong, exit 1, nothing written.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tinySpec, writeIdxPair } from '../../helpers/idx.js';
import { netspec, tempDir } from '../../helpers/spec.js';

/** A safetensors file with this JSON header and `body` bytes of data. */
function safetensors(header: string, body = 0): Buffer {
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(Buffer.byteLength(header)));
  return Buffer.concat([length, Buffer.from(header), Buffer.alloc(body)]);
}

describe('untrusted weights and checkpoints', () => {
  let dir: string;
  let state: Record<string, unknown>;
  beforeAll(() => {
    dir = tempDir();
    writeIdxPair(dir, 8);
    writeFileSync(join(dir, 'spec.net'), tinySpec('images', 'labels'));
    const first = netspec(['train', 'spec.net', '--out', 'run'], dir);
    expect(first.status, first.stderr).toBe(0);
    state = JSON.parse(readFileSync(join(dir, 'run/checkpoints/last/state.json'), 'utf8'));
  });

  function expectError(args: string[], ...fragments: string[]) {
    rmSync(join(dir, 'out'), { recursive: true, force: true });
    const result = netspec([...args, '--out', 'out'], dir);
    expect(result.status, result.stderr).toBe(1);
    for (const fragment of fragments) expect(result.stderr).toContain(fragment);
    expect(result.stderr).not.toMatch(/\n\s+at |TypeError|RangeError/);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  }

  it.each([
    ['null', 'header is not a JSON object'],
    ['[1]', 'header is not a JSON object'],
    ['{"w": null}', "tensor 'w' is not an object"],
    ['{"w": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}', 'no shape of non-negative'],
    [
      '{"w": {"dtype": "F32", "shape": [100000, 100000, 100000], "data_offsets": [0, 4]}}',
      'more than netspec reads',
    ],
    [
      '{"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 1000000000000000]}}',
      'lies outside the file',
    ],
    ['{"w": {"dtype": "F32", "shape": [2], "data_offsets": "all"}}', 'no data_offsets'],
  ])('--weights with the header %s', (header, problem) => {
    writeFileSync(join(dir, 'bad.safetensors'), safetensors(header, 8));
    expectError(
      ['train', 'spec.net', '--weights', 'bad.safetensors'],
      'bad.safetensors: not a safetensors file',
      problem,
    );
  });

  /** A copy of the run's last checkpoint with `change` applied, as `ckpt/last`. */
  function resumeFrom(change: (ckpt: string) => void) {
    const ckpt = join(dir, 'ckpt', 'last');
    rmSync(join(dir, 'ckpt'), { recursive: true, force: true });
    mkdirSync(ckpt, { recursive: true });
    for (const name of ['model.safetensors', 'optimizer.safetensors', '.netspec-checkpoint'])
      writeFileSync(join(ckpt, name), readFileSync(join(dir, 'run/checkpoints/last', name)));
    writeFileSync(join(ckpt, 'state.json'), JSON.stringify(state));
    change(ckpt);
    return ['train', 'spec.net', '--resume', 'ckpt/last'];
  }
  const withState = (fields: Record<string, unknown>) => (ckpt: string) =>
    writeFileSync(
      join(ckpt, 'state.json'),
      JSON.stringify({ ...state, checksums: undefined, ...fields }),
    );

  it.each([
    ['control: null', { control: null }, 'control: expected an object, found null'],
    ['step: "many"', { step: 'many' }, 'step: expected an integer ≥ 0, found "many"'],
    ['history: 7', { history: 7 }, 'history: expected a list, found 7'],
    [
      'a progress epoch of 0',
      { control: { progress: { epoch: 0 } } },
      'control.progress.epoch: expected an integer ≥ 1',
    ],
    [
      'a checksum of another file',
      { checksums: { '../../etc/passwd': '0'.repeat(64) } },
      'expected digests of model.safetensors and optimizer.safetensors, found one of "../../etc/passwd"',
    ],
  ])('a state.json with %s', (_, fields, problem) => {
    expectError(resumeFrom(withState(fields)), 'ckpt/last/state.json: corrupt', problem);
  });

  it('a state.json whose step log has a column that is not a list', () => {
    const steps = { ...(state.steps as object), step: null };
    expectError(
      resumeFrom(withState({ steps })),
      'ckpt/last/state.json: corrupt',
      'steps.step: expected a list, found null',
    );
  });

  it('no checksums, and a truncated or null model file', () => {
    const truncate = (ckpt: string) => {
      withState({})(ckpt);
      const model = join(ckpt, 'model.safetensors');
      writeFileSync(model, readFileSync(model).subarray(0, 100));
    };
    expectError(resumeFrom(truncate), 'model.safetensors: not a safetensors file');
    const nullHeader = (ckpt: string) => {
      withState({})(ckpt);
      writeFileSync(join(ckpt, 'model.safetensors'), safetensors('null'));
    };
    expectError(
      resumeFrom(nullHeader),
      'model.safetensors: not a safetensors file (header is not a JSON object)',
    );
  });

  it('a model.safetensors that is a folder', () => {
    const folder = (ckpt: string) => {
      rmSync(join(ckpt, 'model.safetensors'));
      mkdirSync(join(ckpt, 'model.safetensors'));
    };
    expectError(resumeFrom(folder), 'model.safetensors: is a folder, not a file');
  });
});
