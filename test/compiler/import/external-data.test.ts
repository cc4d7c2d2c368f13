// A model exported by PyTorch 2.9 and later with its defaults (test/fixtures/torch-export/):
// weights in a file beside the graph, batch norm folded, ReduceMean for the average pool, a
// fixed batch of 1. It imports and reproduces PyTorch; a missing, short or escaping data file is
// a diagnostic at the spec statement.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { checkSpec, compileInference, initialParameters } from '../../../compiler/index.js';
import { readBinary } from '../../../runtime/cli/load.js';
import { relativeL2 } from '../../helpers/golden.js';
import { python, readFloat32, ROOT, tempDir } from '../../helpers/spec.js';

const FIXTURE = join(ROOT, 'test/fixtures/torch-export');

function check(file: string, body = '', shape = '[3, 32, 32]') {
  const text = `network R = onnx(${JSON.stringify(file)}, shape: ${shape}) {\n${body}\n}\n`;
  return checkSpec(text, 'spec.net', undefined, readBinary);
}

/** The fixture copied into a fresh folder, for spoiling. */
function copy(): string {
  const dir = tempDir();
  for (const f of ['model.onnx', 'model.onnx.data']) copyFileSync(join(FIXTURE, f), join(dir, f));
  return dir;
}

describe("PyTorch's default export (torch.export, external data)", () => {
  it('imports with module paths and reproduces PyTorch', async () => {
    const { spec, diagnostics } = check(join(FIXTURE, 'model.onnx'));
    expect(diagnostics).toEqual([]);
    const model = spec.networks.get('R')!;
    const layers = model.layers.map((n) => `${n.path}:${n.def.name}`);
    expect(layers).toContain('conv1:Conv2d');
    expect(layers).toContain('layer2.0.downsample.0:Conv2d');
    expect(layers.some((l) => l.endsWith(':AdaptiveAvgPool2d'))).toBe(true);
    const session = await ort.InferenceSession.create(
      compileInference(model, initialParameters(model, 0)),
    );
    const input = readFloat32(join(FIXTURE, 'input.f32'));
    const expected = readFloat32(join(FIXTURE, 'logits.f32'));
    const out = await session.run({ x: new ort.Tensor('float32', input, [1, 3, 32, 32]) });
    const logits = out[session.outputNames[0]].data as Float32Array;
    expect(relativeL2(logits, expected)).toBeLessThan(1e-5);
  });

  it("takes the seed's surgery, its fixed batch of 1 becoming any batch", () => {
    const body = `freeze *
replace conv1 with Conv2d(1, 8, 3, padding: 1, bias: false)
replace fc with Linear(16, 10)`;
    const { spec, diagnostics } = check(join(FIXTURE, 'model.onnx'), body, '[1, 28, 28]');
    expect(diagnostics).toEqual([]);
    const model = spec.networks.get('R')!;
    const trainable = model.layers.filter((n) => !n.frozen && n.params.length > 0);
    expect(trainable.map((n) => n.path)).toEqual(['conv1', 'fc']);
    expect(model.outputShape).toEqual(['N', 10]);
  });
});

describe('external data that cannot be used', () => {
  const messageOf = (dir: string) => {
    const { diagnostics } = check(join(dir, 'model.onnx'));
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0].code).toBe('NS1301');
    expect(diagnostics[0].span.start.line).toBe(1);
    return diagnostics[0].message;
  };

  it('a missing data file is named', () => {
    const dir = tempDir();
    copyFileSync(join(FIXTURE, 'model.onnx'), join(dir, 'model.onnx'));
    expect(messageOf(dir)).toBe(
      `${join(dir, 'model.onnx')}: its weights are in ${join(dir, 'model.onnx.data')}, which cannot be read: no such file`,
    );
  });

  it('a data file shorter than the bytes a tensor names', () => {
    const dir = copy();
    const data = readFileSync(join(dir, 'model.onnx.data'));
    writeFileSync(join(dir, 'model.onnx.data'), data.subarray(0, 1000));
    expect(messageOf(dir)).toMatch(
      /: initializer '[\w.]+' names bytes \d+–\d+ of 'model\.onnx\.data', which holds 1000$/,
    );
  });

  it('a location outside the model’s folder is refused before anything is read', () => {
    const dir = copy();
    mkdirSync(join(dir, 'inner'));
    const moved = python(join(ROOT, 'test/oracle/relocate_external.py'), [
      join(dir, 'model.onnx'),
      join(dir, 'inner/model.onnx'),
      '../model.onnx.data',
    ]);
    expect(moved.status, moved.stderr).toBe(0);
    expect(messageOf(join(dir, 'inner'))).toMatch(
      /: initializer '[\w.]+' keeps its data in '\.\.\/model\.onnx\.data', outside the model's folder; netspec reads external data only from files beside the model or below it$/,
    );
  });
});
