// `netspec export --opset N`: a model written for each supported opset passes ONNX's reference
// checker (full_check) and computes in onnxruntime what the default (opset 18) export computes;
// an opset out of range, or a node with no form at the requested opset, is an error that writes
// nothing. The exported file describes itself: spec, classes, input, and the preprocessing with
// Normalize's statistics as resolved (auto included).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import type { Model } from '../../../compiler/index.js';
import { checkSpec, compileInference, initialParameters, Rng } from '../../../compiler/index.js';
import { buildTrainStep } from '../../../compiler/lower/steps.js';
import { MAX_OPSET, MIN_OPSET, OpsetError } from '../../../compiler/onnx/opset.js';
import { serializeModel } from '../../../compiler/onnx/serialize.js';
import { writeIdxPair } from '../../helpers/idx.js';
import { netspec, python, recipeOf, ROOT, tempDir } from '../../helpers/spec.js';

const OPSETS = Array.from({ length: MAX_OPSET - MIN_OPSET + 1 }, (_, i) => MIN_OPSET + i);

/** Every op netspec lowers a layer to at inference, including a softmax over a non-last axis. */
const EVERYTHING = `
dataset D { train = idx("images", "labels") }
network Everything {
  input x: [1, 28, 28]
  x
    -> Conv2d(1, 8, 3, padding: 1)
    -> BatchNorm2d(8)
    -> ReLU
    -> Softmax(dim: 1)
    -> Conv2d(8, 8, 3, padding: 1, stride: 2)
    -> InstanceNorm2d(8, affine: true)
    -> GroupNorm(2, 8)
    -> LeakyReLU
    -> LogSoftmax(dim: 2)
    -> AvgPool2d(2)
    -> LayerNorm([8, 7, 7])
    -> MaxPool2d(2, stride: 1)
    -> ELU
    -> Dropout(0.3)
    -> Flatten
    -> Linear(auto, 32)
    -> BatchNorm1d(32)
    -> GELU
    -> Hardswish
    -> Hardsigmoid
    -> SiLU
    -> Softplus
    -> Tanh
    -> Sigmoid
    -> Linear(32, 10)
    -> LogSoftmax(dim: 1)
}
train T {
  model = Everything()
  data = D, batch: 8
  loss = cross_entropy
  optimizer = SGD(lr: 0.1)
  epochs = 1
}
`;

function specModel(file: string): Model {
  const path = join(ROOT, 'specs', file);
  const read = (p: string) => {
    try {
      return readFileSync(p, 'utf8');
    } catch {
      return undefined;
    }
  };
  const { spec, diagnostics } = checkSpec(readFileSync(path, 'utf8'), path, read);
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return [...spec.recipes.values()][0].model;
}

async function outputOf(bytes: Uint8Array, input: Float32Array, shape: number[]) {
  const session = await ort.InferenceSession.create(bytes);
  const out = await session.run({ [session.inputNames[0]]: new ort.Tensor(input, shape) });
  return out[session.outputNames[0]].data as Float32Array;
}

describe('export at each opset', () => {
  const models: [string, Model][] = [
    ['everything', recipeOf(EVERYTHING).model],
    ['normalizations.net', specModel('normalizations.net')],
    ['residual.net', specModel('residual.net')],
    ['imports.net', specModel('imports.net')],
    ['activations.net', specModel('activations.net')],
  ];

  it(`passes onnx.checker and matches the default export in onnxruntime, opsets ${MIN_OPSET}–${MAX_OPSET}`, async () => {
    const dir = tempDir();
    const files: { name: string; opset: number; file: string; bytes: Uint8Array }[] = [];
    const defaults = new Map<string, Uint8Array>();
    for (const [name, model] of models) {
      const weights = initialParameters(model, 7);
      // running statistics away from 0/1 so batch norm's inference form matters
      for (const [k, v] of weights)
        if (k.endsWith('running_mean') || k.endsWith('running_var'))
          v.forEach((_, i) => (v[i] = 0.5 + 0.1 * (i % 5)));
      defaults.set(name, compileInference(model, weights));
      for (const opset of OPSETS) {
        const bytes = compileInference(model, weights, {}, opset);
        const file = join(dir, `${name}.${opset}.onnx`);
        writeFileSync(file, bytes);
        files.push({ name, opset, file, bytes });
      }
    }
    const checked = python(
      join(ROOT, 'test/oracle/check_onnx_files.py'),
      files.map((f) => f.file),
    );
    expect(checked.stderr).toBe('');
    const report = JSON.parse(checked.stdout) as {
      max_opset: number;
      files: Record<string, { opset: number[]; error: string | null; ops: string[] }>;
    };
    for (const f of files) {
      const result = report.files[f.file];
      expect(result.opset, f.file).toEqual([f.opset]);
      // Debian's python3-onnx (1.12) knows opsets up to 17: it checks opset-18 ReduceMean
      // against the opset-13 schema and rejects its axes input, so 18 is checked only where
      // that onnx knows it.
      if (f.opset <= report.max_opset) expect(result.error, f.file).toBeNull();
    }
    // the rewritten forms are there: axes as attributes, softmax moved to the last axis
    const ops = (name: string, opset: number) =>
      report.files[files.find((f) => f.name === name && f.opset === opset)!.file].ops;
    expect(ops('everything', 11)).toContain('Transpose');
    expect(ops('everything', 13)).not.toContain('Transpose');
    expect(ops('everything', 13)).not.toContain('HardSwish'); // x · HardSigmoid(x) before 14
    expect(ops('everything', 14)).toContain('HardSwish');

    const rng = new Rng(3);
    const input = Float32Array.from({ length: 3 * 784 }, () => rng.uniform(0, 1));
    for (const [name, bytes] of defaults) {
      const expected = await outputOf(bytes, input, [3, 1, 28, 28]);
      for (const f of files.filter((g) => g.name === name)) {
        const actual = await outputOf(f.bytes, input, [3, 1, 28, 28]);
        expect(actual.length, f.file).toBe(expected.length);
        let worst = 0;
        for (let i = 0; i < actual.length; i++)
          worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / (1 + Math.abs(expected[i])));
        expect(worst, f.file).toBeLessThan(1e-5);
      }
    }
  }, 60_000);

  it('the default export is the opset-18 graph, byte for byte', () => {
    const [, model] = models[0];
    const weights = initialParameters(model, 1);
    expect(
      Buffer.compare(compileInference(model, weights), compileInference(model, weights, {}, 18)),
    ).toBe(0);
  });

  it('refuses an opset out of range, and a node with no form at the opset, naming it', () => {
    const [, model] = models[0];
    const weights = initialParameters(model, 1);
    expect(() => compileInference(model, weights, {}, 10)).toThrow(
      new OpsetError('opset 10 is not supported: netspec writes opsets 11 to 18'),
    );
    expect(() => compileInference(model, weights, {}, 19)).toThrow(OpsetError);
    // MaxPool's gradient scatters with reduction="add", which arrived in opset 16; dropout's
    // mask hashes with BitwiseXor, which arrived in 18.
    const noDropout = buildTrainStep(recipeOf(EVERYTHING.replace('-> Dropout(0.3)', '')));
    expect(() => serializeModel(noDropout.graph, { opset: 15 })).toThrow(
      /ScatterElements \(.*\) with reduction="add" needs opset 16 or later/,
    );
    expect(serializeModel(noDropout.graph, { opset: 16 }).length).toBeGreaterThan(0);
    const train = buildTrainStep(recipeOf(EVERYTHING));
    expect(() => serializeModel(train.graph, { opset: 17 })).toThrow(
      /BitwiseXor \(dropout1\) needs opset 18 or later/,
    );
  });
});

const AUGMENTED = `
dataset Tiny {
  train = idx("images", "labels")
  test = idx("images", "labels")
  classes = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]
}
transform Prep {
  RandomHorizontalFlip()
  Normalize(mean: auto, std: auto)
}
network Small {
  input x: [1, 28, 28]
  x -> Conv2d(1, 4, 3) -> InstanceNorm2d(4) -> ReLU -> Flatten -> Linear(auto, 10)
}
train T {
  model = Small()
  data = Tiny, batch: 16, transform: Prep
  loss = cross_entropy
  optimizer = SGD(lr: 0.01)
  epochs = 1
}
`;

describe('netspec export (CLI)', () => {
  it('writes the requested opset with self-describing metadata (Normalize(auto) resolved)', () => {
    const dir = tempDir();
    writeIdxPair(dir, 64);
    writeFileSync(join(dir, 'spec.net'), AUGMENTED);
    const trained = netspec(['train', 'spec.net', '--out', 'run', '--threads', '1'], dir);
    expect(trained.stderr).toBe('');
    expect(trained.status).toBe(0);
    for (const opset of [13, 17]) {
      const result = netspec(
        [
          'export',
          'spec.net',
          '--weights',
          'run/weights.safetensors',
          '-o',
          `m${opset}.onnx`,
          '--opset',
          String(opset),
        ],
        dir,
      );
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      expect(result.stdout).toContain(`(opset ${opset}`);
    }
    const checked = python(join(ROOT, 'test/oracle/check_onnx_files.py'), [
      join(dir, 'm13.onnx'),
      join(dir, 'm17.onnx'),
    ]);
    expect(checked.stderr).toBe('');
    const files = JSON.parse(checked.stdout).files;
    const m13 = files[join(dir, 'm13.onnx')];
    expect(m13.error).toBeNull();
    expect(m13.opset).toEqual([13]);
    expect(files[join(dir, 'm17.onnx')].error).toBeNull();
    const meta = m13.metadata as Record<string, string>;
    expect(meta['netspec.spec']).toBe('spec.net');
    expect(meta['netspec.recipe']).toBe('T');
    expect(meta['netspec.model']).toBe('Small');
    expect(JSON.parse(meta['netspec.classes'])).toEqual([...'abcdefghij']);
    expect(JSON.parse(meta['netspec.input'])).toEqual({
      name: 'x',
      shape: ['N', 1, 28, 28],
      dtype: 'float32',
      range: [0, 1],
    });
    // the statistics of the training images as the training run resolved them
    const pixels = Uint8Array.from({ length: 64 * 784 }, (_, i) => (i * 31) % 256);
    const values = Array.from(pixels, (p) => p / 255);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
    const normalization = JSON.parse(meta['netspec.normalization']);
    expect(normalization.mean).toHaveLength(1);
    expect(normalization.mean[0]).toBeCloseTo(mean, 4);
    expect(normalization.std[0]).toBeCloseTo(std, 3);
    // only evaluation's steps: the random flip is training-only
    const steps = JSON.parse(meta['netspec.preprocessing']);
    expect(steps).toHaveLength(1);
    expect(steps[0]).toMatchObject({ name: 'Normalize', args: normalization });
  }, 60_000);

  it('an opset out of range is an error: exit 1, nothing written', () => {
    const dir = tempDir();
    writeIdxPair(dir, 16);
    writeFileSync(join(dir, 'spec.net'), AUGMENTED.replace(', transform: Prep', ''));
    writeFileSync(join(dir, 'w.safetensors'), '');
    for (const opset of ['10', '19']) {
      const result = netspec(
        ['export', 'spec.net', '--weights', 'w.safetensors', '-o', 'm.onnx', '--opset', opset],
        dir,
      );
      expect(result.status).toBe(1);
      expect(result.stderr).toBe(
        `error NS4001: --opset ${opset}: netspec exports opsets 11 to 18\n`,
      );
      expect(existsSync(join(dir, 'm.onnx'))).toBe(false);
    }
  });
});
