// Weights of specs/resnet18.net carry torchvision's state_dict names: torchvision's resnet18
// loads them with load_state_dict(strict=True) and computes the same logits as netspec's
// exported ONNX model.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import {
  checkSpec,
  compileInference,
  initialParameters,
  parameterShapes,
  Rng,
} from '../../../compiler/index.js';
import { encodeSafetensors } from '../../../runtime/weights.js';
import { relativeL2 } from '../../helpers/golden.js';
import { python, ROOT, tempDir } from '../../helpers/spec.js';

describe('ResNet18 weights in torchvision', () => {
  it('load with strict=True and give the same logits', async () => {
    const path = join(ROOT, 'specs/resnet18.net');
    const model = checkSpec(readFileSync(path, 'utf8'), path).spec.networks.get('ResNet18')!;
    const weights = initialParameters(model, 11);
    // Running statistics other than 0 and 1, so eval-mode batch norm is exercised.
    const rng = new Rng(4, 'state-dict-test');
    for (const [name, values] of weights) {
      if (name.endsWith('running_mean'))
        values.forEach((_, i) => (values[i] = rng.uniform(-0.1, 0.1)));
      if (name.endsWith('running_var'))
        values.forEach((_, i) => (values[i] = rng.uniform(0.5, 1.5)));
    }
    const shapes = parameterShapes(model);
    const dir = tempDir();
    const file = join(dir, 'weights.safetensors');
    writeFileSync(
      file,
      encodeSafetensors(
        new Map([...weights].map(([n, data]) => [n, { shape: shapes.get(n)!, data }])),
      ),
    );
    const x = Float32Array.from({ length: 3 * 224 * 224 }, () => rng.normal());
    writeFileSync(join(dir, 'x.f32'), Buffer.from(x.buffer));
    const torch = python(join(ROOT, 'test/oracle/torchvision_load.py'), [file, join(dir, 'x.f32')]);
    expect(torch.stderr).toBe('');
    const expected = JSON.parse(torch.stdout) as number[];
    const session = await ort.InferenceSession.create(compileInference(model, weights));
    const logits = (await session.run({ x: new ort.Tensor('float32', x, [1, 3, 224, 224]) })).logits
      .data as Float32Array;
    expect(relativeL2(logits, expected)).toBeLessThan(1e-4);
  }, 60_000);
});
