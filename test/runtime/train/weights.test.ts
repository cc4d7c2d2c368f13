// `netspec train --weights FILE`: a new run that starts from saved weights (PyTorch's
// load_state_dict before training) — a netspec run's, a checkpoint's or a torch state_dict
// written by Python — with a fresh optimizer, step 0 and schedules from the start.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Recipe } from '../../../compiler/index.js';
import {
  checkSpec,
  compileInference,
  compileRecipe,
  initialParameters,
  parameterShapes,
  Rng,
} from '../../../compiler/index.js';
import { readCheckpoint } from '../../../runtime/checkpoint.js';
import { readBinary } from '../../../runtime/cli/load.js';
import type { Split } from '../../../runtime/data/dataset.js';
import { resumeRecipe, startFrom } from '../../../runtime/start-weights.js';
import type { TrainOptions } from '../../../runtime/train.js';
import { train as trainApi } from '../../../runtime/train.js';
import type { NamedTensor } from '../../../runtime/weights.js';
import { encodeSafetensors, readSafetensors, toFloat32 } from '../../../runtime/weights.js';
import { writeIdxPair } from '../../helpers/idx.js';
import { netspec, python, recipeOf, ROOT, tempDir } from '../../helpers/spec.js';

const spec = (init = '') => `
dataset Tiny {
  train = idx("images", "labels")
  test = idx("images", "labels")
}
network Net {
  input x: [1, 28, 28]
  x -> Flatten -> Linear(784, 16) -> BatchNorm1d(16) -> ReLU -> Linear(16, 10)
}
train T {
  model = Net()
  data = Tiny, batch: 16, shuffle: true
  loss = cross_entropy
  optimizer = SGD(lr: 0.05, momentum: 0.9)
  schedule = exponential(gamma: 0.5)
  ${init}
  epochs = 1
  seed = 3
}
`;

/** 200 examples in batches of 16: one epoch is 13 steps. */
const STEPS_PER_EPOCH = 13;

/** A safetensors file written here, independently of netspec's writer, with any dtype. */
function safetensors(entries: { name: string; dtype: string; shape: number[]; bytes: Buffer }[]) {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const e of entries) {
    header[e.name] = {
      dtype: e.dtype,
      shape: e.shape,
      data_offsets: [offset, offset + e.bytes.length],
    };
    offset += e.bytes.length;
  }
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([length, json, ...entries.map((e) => e.bytes)]);
}

const f32 = (t: NamedTensor) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);

const train = (dir: string, ...args: string[]) =>
  netspec(['train', 'spec.net', '--threads', '1', ...args], dir);

const metrics = (dir: string) =>
  readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { epoch: number; lr: number; trainLoss: number });

describe('netspec train --weights', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir();
    writeIdxPair(dir, 200);
    writeFileSync(join(dir, 'spec.net'), spec());
    const first = train(dir, '--out', 'a');
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
  }, 30_000);

  it("starts exactly from a previous run's weights, with a fresh optimizer and schedule", () => {
    const saved = readSafetensors(join(dir, 'a/weights.safetensors'));
    // No steps: the run's weights are the loaded ones, bit for bit…
    const zero = train(dir, '--epochs', '0', '--out', 'b', '--weights', 'a/weights.safetensors');
    expect(zero.stderr).toBe('');
    expect(zero.stdout).toContain('starting from a/weights.safetensors (9 tensors)');
    const loaded = readSafetensors(join(dir, 'b/weights.safetensors'));
    expect([...loaded.keys()]).toEqual([...saved.keys()]);
    for (const [name, t] of saved) expect(f32(loaded.get(name)!).equals(f32(t)), name).toBe(true);
    // …which are not the seed's initial ones, so the comparison above cannot pass by accident.
    const initial = initialParameters(recipeOf(spec()).model, 3);
    expect(
      f32(saved.get('linear1.weight')!).equals(
        f32({ shape: [], data: initial.get('linear1.weight')! }),
      ),
    ).toBe(false);
    expect(saved.get('batchnorm1d1.num_batches_tracked')!.data[0]).toBe(STEPS_PER_EPOCH);

    // One epoch from a checkpoint folder's weights: epoch 1 at the schedule's first rate (a
    // resume would be epoch 2 at half of it), and batch norm counts on from the loaded buffer.
    const one = train(dir, '--out', 'c', '--weights', 'a/checkpoints/last', '--json');
    expect(one.stderr).toBe('');
    expect(JSON.parse(one.stdout.split('\n')[0])).toEqual({
      event: 'weights',
      file: 'a/checkpoints/last/model.safetensors',
      loaded: 9,
      skipped: [],
    });
    const [first] = metrics(join(dir, 'a'));
    const [started] = metrics(join(dir, 'c'));
    expect(started.epoch).toBe(1);
    expect(started.lr).toBe(first.lr);
    expect(started.trainLoss).not.toBe(first.trainLoss);
    const after = readSafetensors(join(dir, 'c/weights.safetensors'));
    expect(after.get('batchnorm1d1.num_batches_tracked')!.data[0]).toBe(2 * STEPS_PER_EPOCH);
  }, 30_000);

  it('loads a state_dict PyTorch wrote (int64 num_batches_tracked converted)', () => {
    const file = join(dir, 'torch.safetensors');
    const torch = python(join(ROOT, 'test/oracle/save_state_dict.py'), [file]);
    expect(torch.stderr).toBe('');
    const expected = JSON.parse(torch.stdout) as Record<string, number[]>;
    const result = train(dir, '--epochs', '0', '--out', 'torch', '--weights', file);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const loaded = readSafetensors(join(dir, 'torch/weights.safetensors'));
    expect([...loaded.keys()].sort()).toEqual(Object.keys(expected).sort());
    for (const [name, values] of Object.entries(expected))
      expect(Array.from(loaded.get(name)!.data), name).toEqual(values.map(Math.fround));
    expect(expected['batchnorm1d1.num_batches_tracked']).toEqual([3]);
  }, 30_000);

  it('lists every mismatch in one error and writes nothing', () => {
    const saved = readSafetensors(join(dir, 'a/weights.safetensors'));
    const entries = [...saved]
      .filter(([name]) => name !== 'linear1.bias')
      .map(([name, t]) => ({ name, dtype: 'F32', shape: t.shape, bytes: f32(t) }));
    entries[0] = {
      ...entries[0],
      shape: [8, 784],
      bytes: entries[0].bytes.subarray(0, 8 * 784 * 4),
    };
    const linear2 = entries.findIndex((e) => e.name === 'linear2.weight');
    entries[linear2] = { ...entries[linear2], dtype: 'C64', bytes: Buffer.alloc(10 * 16 * 8) };
    entries.push({ name: 'fc.weight', dtype: 'F32', shape: [1], bytes: Buffer.alloc(4) });
    writeFileSync(join(dir, 'bad.safetensors'), safetensors(entries));
    const result = train(dir, '--out', 'bad', '--weights', 'bad.safetensors');
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      'error NS4004: bad.safetensors does not fit Net (4 problems; with --weights-partial, the tensors ' +
        'that fit are loaded and the rest initialized):\n' +
        "  'linear1.weight' has shape [8, 784], the model needs [16, 784]\n" +
        "  'linear1.bias' is missing\n" +
        "  'linear2.weight' is C64, which does not convert to float32\n" +
        "  'fc.weight' is not in the model\n",
    );
    expect(existsSync(join(dir, 'bad'))).toBe(false);
  }, 30_000);

  it('refuses a tensor holding NaN or infinite values, naming the file and the tensor', () => {
    const saved = readSafetensors(join(dir, 'a/weights.safetensors'));
    const entries = [...saved].map(([name, t]) => {
      const data = Float32Array.from(t.data);
      if (name === 'linear2.bias') data[3] = Infinity;
      return { name, dtype: 'F32', shape: t.shape, bytes: f32({ ...t, data }) };
    });
    writeFileSync(join(dir, 'infinite.safetensors'), safetensors(entries));
    const result = train(dir, '--out', 'inf', '--weights', 'infinite.safetensors');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      'error NS4004: infinite.safetensors does not fit Net (1 problem',
    );
    expect(result.stderr).toContain(
      "'linear2.bias' holds values that are not finite (NaN or ±Infinity)\n",
    );
    expect(existsSync(join(dir, 'inf'))).toBe(false);
  }, 30_000);

  it('refuses --weights with --resume, and a file that is not there', () => {
    const both = train(dir, '--weights', 'a', '--resume', 'a', '--out', 'x');
    expect(both.status).toBe(1);
    expect(both.stderr).toBe(
      'error NS4001: --weights and --resume cannot be combined: --resume continues a run where it ' +
        'stopped, --weights starts a new run from saved weights\n',
    );
    const missing = train(dir, '--weights', 'nope.safetensors', '--out', 'x');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe('error NS4004: nope.safetensors: no such file\n');
    expect(existsSync(join(dir, 'x'))).toBe(false);
  }, 30_000);

  it('init = lsuv: starting weights are kept as saved; --weights-partial rescales only the rest', () => {
    writeFileSync(join(dir, 'lsuv.net'), spec('init = lsuv'));
    const lsuv = (...args: string[]) =>
      netspec(['train', 'lsuv.net', '--threads', '1', '--epochs', '0', ...args], dir);
    const fresh = lsuv('--out', 'lsuv-fresh');
    expect(fresh.stdout).toMatch(
      /^lsuv: output variance on the first batch: linear1 .*, linear2 /m,
    );
    const started = lsuv('--out', 'lsuv-started', '--weights', 'a/weights.safetensors');
    expect(started.stderr).toBe('');
    expect(started.stdout).not.toMatch(/^lsuv/m);
    // The same tensors, bit for bit (the files' metadata names different specs).
    const saved = readSafetensors(join(dir, 'a/weights.safetensors'));
    const kept = readSafetensors(join(dir, 'lsuv-started/weights.safetensors'));
    for (const [name, t] of saved) expect(f32(kept.get(name)!).equals(f32(t)), name).toBe(true);

    // Without linear2's tensors, and with one the model lacks: what fits is loaded as saved and
    // only linear2 is drawn and rescaled, as a new layer on an imported model would be.
    const entries = [...saved]
      .filter(([name]) => !name.startsWith('linear2.'))
      .map(([name, t]) => ({ name, dtype: 'F32', shape: t.shape, bytes: f32(t) }));
    entries.push({ name: 'fc.bias', dtype: 'F32', shape: [10], bytes: Buffer.alloc(40) });
    writeFileSync(join(dir, 'part.safetensors'), safetensors(entries));
    const partial = lsuv(
      '--out',
      'lsuv-part',
      '--weights',
      'part.safetensors',
      '--weights-partial',
    );
    expect(partial.stderr).toBe('');
    expect(partial.stdout).toContain(
      'starting from part.safetensors (7 tensors; the rest initialized), skipped:\n' +
        "  'linear2.weight' is missing\n" +
        "  'linear2.bias' is missing\n" +
        "  'fc.bias' is not in the model\n",
    );
    expect(partial.stdout).toMatch(/^lsuv: output variance on the first batch: linear2 [^,]*$/m);
    const out = readSafetensors(join(dir, 'lsuv-part/weights.safetensors'));
    for (const [name, t] of saved) {
      if (!name.startsWith('linear2.')) expect(f32(out.get(name)!).equals(f32(t)), name).toBe(true);
    }
  }, 30_000);
});

describe('dtype conversion of stored tensors', () => {
  const raw = (dtype: string, bytes: number[]) => ({
    dtype,
    shape: [bytes.length / ({ F64: 8, I64: 8, F16: 2, BF16: 2 }[dtype] ?? 1)],
    bytes: Buffer.from(bytes),
  });

  it('reads floating, integer and boolean types as float32, as load_state_dict copies them', () => {
    const f64 = Buffer.alloc(16);
    f64.writeDoubleLE(0.1, 0);
    f64.writeDoubleLE(-3, 8);
    expect(Array.from(toFloat32(raw('F64', [...f64]))!)).toEqual([Math.fround(0.1), -3]);
    // float16: 1, -2, 65504 (the largest), 2⁻²⁴ (the smallest subnormal), infinity.
    const f16 = [0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00].flatMap((h) => [h & 0xff, h >> 8]);
    expect(Array.from(toFloat32(raw('F16', f16))!)).toEqual([1, -2, 65504, 2 ** -24, Infinity]);
    // bfloat16: the upper half of a float32 (1.5 is 0x3fc0, -0.5 is 0xbf00).
    expect(Array.from(toFloat32(raw('BF16', [0xc0, 0x3f, 0x00, 0xbf]))!)).toEqual([1.5, -0.5]);
    const i64 = Buffer.alloc(16);
    i64.writeBigInt64LE(7n, 0);
    i64.writeBigInt64LE(-2n, 8);
    expect(Array.from(toFloat32(raw('I64', [...i64]))!)).toEqual([7, -2]);
    expect(Array.from(toFloat32(raw('U8', [0, 255]))!)).toEqual([0, 255]);
    expect(Array.from(toFloat32(raw('BOOL', [0, 1]))!)).toEqual([0, 1]);
    expect(toFloat32(raw('F8_E4M3', [1]))).toBeUndefined();
  });

  it('every reader of weights converts (eval, export, checkpoints): readSafetensors', () => {
    const file = join(tempDir(), 'mixed.safetensors');
    const f64 = Buffer.alloc(16);
    f64.writeDoubleLE(0.25, 0);
    f64.writeDoubleLE(-1.5, 8);
    const i64 = Buffer.alloc(8);
    i64.writeBigInt64LE(3n, 0);
    const entries = [
      { name: 'w', dtype: 'F64', shape: [2], bytes: f64 },
      { name: 'count', dtype: 'I64', shape: [], bytes: i64 },
    ];
    writeFileSync(file, safetensors(entries));
    const read = readSafetensors(file);
    expect(Array.from(read.get('w')!.data)).toEqual([0.25, -1.5]);
    expect(Array.from(read.get('count')!.data)).toEqual([3]);
    writeFileSync(
      file,
      safetensors([{ name: 'q', dtype: 'F8_E4M3', shape: [1], bytes: Buffer.alloc(1) }]),
    );
    expect(() => readSafetensors(file)).toThrow(
      `${file}: tensor 'q' is F8_E4M3, which does not convert to float32`,
    );
  });

  it('--weights-partial still refuses a file of which nothing fits', () => {
    const file = join(tempDir(), 'other.safetensors');
    const bias = { name: 'fc.bias', dtype: 'F32', shape: [10], bytes: Buffer.alloc(40) };
    writeFileSync(file, safetensors([bias]));
    expect(() => startFrom(recipeOf(spec()), file, true)).toThrow(
      `${file} does not fit Net (10 problems; none of its tensors fit):`,
    );
  });
});

describe('--weights on a model with frozen layers', () => {
  const MLP = `
dataset D { train = idx("unused-images", "unused-labels") }
network MLP {
  input x: [1, 4, 4]
  x -> Flatten -> Linear(16, 8) -> ReLU -> Linear(8, 3)
}
train E { model = MLP()  data = D  loss = cross_entropy  optimizer = SGD(lr: 0.1)  epochs = 1 }
`;
  const frozenSpec = (onnx: string) => `
dataset D { train = idx("unused-images", "unused-labels") }
network F = onnx(${JSON.stringify(onnx)}, shape: [1, 4, 4]) {
  freeze linear1
}
train T {
  model = F
  data = D, batch: 4, shuffle: true
  loss = cross_entropy
  optimizer = Adam(lr: 0.01)
  epochs = 2
  seed = 2
}`;

  /** 12 examples of 4×4 pixels: 3 steps per epoch. */
  const data = (): { train: Split } => {
    const rng = new Rng(9, 'start-weights-data');
    return {
      train: {
        images: Uint8Array.from({ length: 12 * 16 }, () => Math.floor(rng.uniform(0, 256))),
        labels: Int32Array.from({ length: 12 }, (_, i) => i % 3),
        count: 12,
        imageShape: [1, 4, 4],
        scale: 1 / 255,
        origin: 'memory',
        labelAt: (i: number) => `example ${i}`,
      } as Split,
    };
  };
  const run = (recipe: Recipe, options: Partial<TrainOptions>) =>
    trainApi(recipe, compileRecipe(recipe), data(), {
      epochs: 2,
      threads: 1,
      device: 'cpu',
      ...options,
    });

  it("the frozen layers' constants are the file's values, and stay so across a resume", async () => {
    const dir = tempDir();
    const mlp = recipeOf(MLP);
    writeFileSync(
      join(dir, 'mlp.onnx'),
      compileInference(mlp.model, initialParameters(mlp.model, 4)),
    );
    const { spec, diagnostics } = checkSpec(
      frozenSpec(join(dir, 'mlp.onnx')),
      'frozen.net',
      undefined,
      readBinary,
    );
    expect(diagnostics.map((d) => d.message)).toEqual([]);
    const recipe = spec.recipes.get('T')!;
    // Weights other than the ONNX file's pretrained ones, frozen linear1 included.
    const shapes = parameterShapes(recipe.model);
    const other = initialParameters(mlp.model, 77);
    const file = join(dir, 'start.safetensors');
    const tensors = new Map([...other].map(([n, data]) => [n, { shape: shapes.get(n)!, data }]));
    writeFileSync(file, encodeSafetensors(tensors));
    const started = startFrom(recipe, file).recipe;

    const whole = await run(started, {});
    const values = (r: typeof whole, name: string) =>
      f32({ shape: [], data: r.weights.get(name)! });
    expect(values(whole, 'linear1.weight').equals(f32(tensors.get('linear1.weight')!))).toBe(true);
    await run(started, {
      epochs: 1,
      checkpoint: { dir: join(dir, 'ckpt'), every: 1, unit: 'epoch' },
    });
    const checkpoint = readCheckpoint(join(dir, 'ckpt/last'));
    const resumed = await run(resumeRecipe(recipe, checkpoint), { resume: checkpoint });
    expect(values(resumed, 'linear2.weight').equals(values(whole, 'linear2.weight'))).toBe(true);
    // Resumed with the spec's frozen values instead, the trained layer ends elsewhere: the
    // constants matter, so the equality above shows both runs had the file's.
    const plain = await run(recipe, { resume: checkpoint });
    expect(values(plain, 'linear2.weight').equals(values(whole, 'linear2.weight'))).toBe(false);
  }, 30_000);
});
