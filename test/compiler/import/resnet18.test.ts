// Importing ONNX models: torchvision's ResNet18 (the fixture, FIXTURES/resnet18) reproduces
// PyTorch's reference logits through netspec's own lowering, surgery edits it as the seed does,
// and unsupported operators are named.
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import type { Model } from '../../../compiler/index.js';
import { checkSpec, compileInference, initialParameters } from '../../../compiler/index.js';
import { describeModel } from '../../../runtime/cli/info.js';
import { readBinary } from '../../../runtime/cli/load.js';
import { relativeL2 } from '../../helpers/golden.js';
import { FIXTURES } from '../../helpers/machine.js';
import { readFloat32 } from '../../helpers/spec.js';

const FIXTURE = join(FIXTURES, 'resnet18');

function importSpec(body: string, shape = '[3, 64, 64]') {
  const text = `network R = onnx(${JSON.stringify(join(FIXTURE, 'resnet18.onnx'))}, shape: ${shape}) {\n${body}\n}\n`;
  return checkSpec(text, 'import.net', undefined, readBinary);
}

function modelOf(body: string, shape?: string): Model {
  const { spec, diagnostics } = importSpec(body, shape);
  expect(diagnostics.map((d) => d.message)).toEqual([]);
  return spec.networks.get('R')!;
}

function parameterCounts(model: Model) {
  let frozen = 0;
  let trainable = 0;
  for (const node of model.layers) {
    for (const p of node.params) {
      if (p.kind === 'buffer') continue;
      const n = p.shape.reduce((a, b) => a * b, 1);
      if (node.frozen) frozen += n;
      else trainable += n;
    }
  }
  return { frozen, trainable };
}

describe('ONNX import of ResNet18', () => {
  it('reproduces the reference logits through netspec lowering (relative error ≤ 1e-4)', async () => {
    const model = modelOf('');
    expect(parameterCounts(model).trainable).toBe(11_689_512);
    const bytes = compileInference(model, initialParameters(model, 0));
    const session = await ort.InferenceSession.create(bytes);
    const input = readFloat32(join(FIXTURE, 'input-2x3x64x64.f32'));
    const expected = readFloat32(join(FIXTURE, 'logits-2x1000.f32'));
    const out = await session.run({ input: new ort.Tensor('float32', input, [2, 3, 64, 64]) });
    const logits = out.logits.data as Float32Array;
    expect(relativeL2(logits, expected)).toBeLessThan(1e-4);
  });

  it("applies the seed's surgery: 11.2M frozen, new conv1 and fc trainable", () => {
    const model = modelOf(
      `  freeze *
  replace conv1 with Conv2d(1, 64, 7, stride: 2, padding: 3, bias: false)
  replace fc with Linear(512, 10)`,
      '[1, 28, 28]',
    );
    const counts = parameterCounts(model);
    expect(counts.trainable).toBe(64 * 49 + 512 * 10 + 10);
    expect(counts.frozen).toBe(11_689_512 - 9408 - 513_000);
    expect(model.outputShape).toEqual(['N', 10]);
    const table = describeModel(model);
    expect(table).toMatch(/conv1\s+Conv2d\s+\[N, 64, 14, 14\]\s+3,136\s+yes/);
    expect(table).toMatch(/layer1\.0\.conv1\s+Conv2d\s+\[N, 64, 7, 7\]\s+36,864\s+frozen/);
  });

  it('reports surgery mistakes at the statement', () => {
    const { diagnostics } = importSpec(
      `  freeze layer9.*
  replace fc with Linear(256, 10)
  replace conv2 with ReLU`,
    );
    expect(diagnostics.map((d) => [d.span.start.line, d.message])).toEqual([
      [2, "no module matches 'layer9.*'; did you mean 'layer1.0'?"],
      [3, "module 'fc': Linear expects 256 input features, but its input has 512 (shape [N, 512])"],
      [4, "no module named 'conv2'; did you mean 'conv1'?"],
    ]);
  });
});
