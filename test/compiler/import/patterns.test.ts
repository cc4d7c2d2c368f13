// Import patterns beyond ResNet18's operators (test/oracle/import_patterns.py makes the files):
// Clip as ReLU6/Hardtanh/ReLU, Reshape to [N, -1] (the Shape → Gather → Unsqueeze → Concat chain
// of `x.reshape(x.size(0), -1)`, or a folded constant) as Flatten, MatMul + Add of a constant as
// Linear. Each imported model reproduces PyTorch's output; unsupported variants name the node.
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Model } from '../../../compiler/index.js';
import {
  checkSpec,
  compileInference,
  compileRecipe,
  initialParameters,
} from '../../../compiler/index.js';
import { readBinary } from '../../../runtime/cli/load.js';
import { python, readFloat32, ROOT, tempDir } from '../../helpers/spec.js';
import { relativeL2 } from '../../helpers/golden.js';

let dir: string;

function check(file: string, body = '') {
  const text = `network R = onnx(${JSON.stringify(join(dir, file))}, shape: [3, 8, 8]) {\n${body}\n}\n`;
  return checkSpec(text, 'spec.net', undefined, readBinary);
}

function modelOf(file: string): Model {
  const { spec, diagnostics } = check(file);
  expect(diagnostics.map((d) => d.message)).toEqual([]);
  return spec.networks.get('R')!;
}

async function relativeError(model: Model, expectedFile: string): Promise<number> {
  const session = await ort.InferenceSession.create(
    compileInference(model, initialParameters(model, 0)),
  );
  const input = readFloat32(join(dir, 'input.f32'));
  const expected = readFloat32(join(dir, expectedFile));
  const out = await session.run({ input: new ort.Tensor('float32', input, [2, 3, 8, 8]) });
  return relativeL2(out.logits.data as Float32Array, expected);
}

const layers = (model: Model) => model.layers.map((n) => `${n.path}:${n.def.name}`);

/** A spec training torch13.onnx (imported with `surgery` as its body) with SGD for an epoch. */
function torch13Spec(surgery: string): string {
  return `dataset D { train = idx("unused-images", "unused-labels") }
network R = onnx(${JSON.stringify(join(dir, 'torch13.onnx'))}, shape: [3, 8, 8]) {
${surgery}
}
train T {
  model = R
  data = D
  loss = cross_entropy
  optimizer = SGD(lr: 0.1)
  epochs = 1
}`;
}

describe('ONNX import patterns', () => {
  beforeAll(() => {
    dir = tempDir();
    const result = python(join(ROOT, 'test/oracle/import_patterns.py'), [dir]);
    expect(result.status, result.stderr).toBe(0);
  }, 120_000);

  it.each([
    ['torch13.onnx', 'opset 13, constants folded'],
    ['torch13-unfolded.onnx', 'opset 13, unfolded shape chain'],
    ['torch10.onnx', 'opset 10, Clip bounds as attributes'],
    ['static.onnx', 'fixed batch: reshape target folded to [2, -1]'],
  ])('%s (%s) reproduces PyTorch', async (file) => {
    const model = modelOf(file);
    expect(layers(model)).toEqual([
      'conv:Conv2d',
      'act:ReLU6',
      'clamp:Hardtanh',
      'flatten1:Flatten',
      'linear1:Linear',
    ]);
    const clamp = model.layers[2];
    expect(Object.fromEntries(clamp.args.values)).toMatchObject({
      min_val: { v: 0.5 },
      max_val: { v: 2.5 },
    });
    const linear = model.layers[4];
    expect(linear.params.map((p) => p.name)).toEqual(['weight', 'bias']);
    expect(await relativeError(model, 'logits.f32')).toBeLessThan(1e-4);
  });

  it('a graph built with onnx.helper: Clip(0) as ReLU, Reshape to [-1, k], Add(b, MatMul)', async () => {
    const model = modelOf('helper.onnx');
    expect(layers(model)).toEqual([
      'conv:Conv2d',
      'relu:ReLU',
      'act:ReLU6',
      'flatten1:Flatten',
      'fc:Linear',
    ]);
    expect(await relativeError(model, 'helper-logits.f32')).toBeLessThan(1e-4);
  });

  it('a Reshape whose [-1, k] does not fit the input shape is a shape error naming the node', () => {
    const text = `network R = onnx(${JSON.stringify(join(dir, 'helper.onnx'))}, shape: [3, 10, 10]) { }\n`;
    const { diagnostics } = checkSpec(text, 'spec.net', undefined, readBinary);
    expect(diagnostics.map((d) => d.message)).toEqual([
      "module 'flatten1' (Reshape node '/Reshape') reshapes to [N, 144], but for this input shape its values are [N, 256]",
    ]);
  });

  it('unsupported variants are diagnostics naming each node', () => {
    const { diagnostics } = check('bad.onnx');
    expect(diagnostics).toHaveLength(1);
    const message = diagnostics[0].message;
    expect(message).toContain("ReduceMax (node '/top/ReduceMax')");
    expect(message).toContain("Clip whose bounds are not constants (node '/act/Clip')");
    expect(message).toContain(
      "Reshape to [0, 4, 36] (netspec imports [N, -1] and [N, k], as Flatten) (node '/Reshape')",
    );
  });

  it('an imported model takes surgery and compiles to a train step (Clip has gradients)', () => {
    const text = torch13Spec(`  freeze conv\n  replace linear1 with Linear(144, 3)`);
    const { spec, diagnostics } = checkSpec(text, 'spec.net', undefined, readBinary);
    expect(diagnostics).toEqual([]);
    const compiled = compileRecipe(spec.recipes.get('T')!);
    const trained = compiled.manifest.parameters.filter((p) => p.trainable).map((p) => p.name);
    expect(trained).toEqual(['linear1.weight', 'linear1.bias']);
  });

  it("the gradient through ReLU6 and Hardtanh matches PyTorch's", async () => {
    const text = torch13Spec('');
    const { spec, diagnostics } = checkSpec(text, 'spec.net', undefined, readBinary);
    expect(diagnostics).toEqual([]);
    const recipe = spec.recipes.get('T')!;
    const compiled = compileRecipe(recipe, { gradients: true });
    const session = await ort.InferenceSession.create(compiled.train);
    const values = initialParameters(recipe.model, 0);
    const feeds: Record<string, ort.Tensor> = {
      input: new ort.Tensor('float32', readFloat32(join(dir, 'input.f32')), [2, 3, 8, 8]),
      labels: new ort.Tensor('int64', BigInt64Array.of(1n, 3n), [2]),
      lr: new ort.Tensor('float32', Float32Array.of(0), []),
      step: new ort.Tensor('int64', BigInt64Array.of(0n), []),
    };
    for (const input of compiled.manifest.graphs.train.inputs) {
      if (input.role.kind === 'param')
        feeds[input.name] = new ort.Tensor(
          'float32',
          values.get(input.role.param)!,
          input.shape as number[],
        );
    }
    const grad = (await session.run(feeds))['conv.weight.grad'].data as Float32Array;
    const expected = readFloat32(join(dir, 'conv-grad.f32'));
    let num = 0;
    let den = 0;
    for (let i = 0; i < expected.length; i++) {
      num += (grad[i] - expected[i]) ** 2;
      den += expected[i] ** 2;
    }
    expect(den).toBeGreaterThan(0);
    expect(Math.sqrt(num / den)).toBeLessThan(1e-4);
  });
});
