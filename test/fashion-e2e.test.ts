// The whole path on real data: `netspec train specs/fashion-mlp.net` on Fashion-MNIST (Debian's
// dataset-fashion-mnist), `netspec export`, the reference ONNX checker, and onnxruntime
// inference on the exported file reproducing the accuracy the training run reported.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { netspec, python, ROOT, tempDir } from './helpers/spec.js';
import { readIdxForTest } from './helpers/fashion.js';

describe('Fashion-MNIST MLP end to end', () => {
  let dir: string;
  let trainOutput: string;
  beforeAll(() => {
    dir = tempDir();
    const result = netspec(['train', 'specs/fashion-mlp.net', '--out', join(dir, 'run')]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    trainOutput = result.stdout;
  }, 180_000);

  it('reaches at least 84% test accuracy in 2 epochs', () => {
    const lines = trainOutput.split('\n').filter((l) => l.startsWith('epoch'));
    expect(lines).toHaveLength(2);
    const accuracy = Number(/test loss [\d.]+ acc ([\d.]+)%/.exec(lines[1])![1]);
    expect(accuracy).toBeGreaterThanOrEqual(84);
  });

  it('exports an ONNX model that passes onnx.checker (full_check) and reproduces the accuracy', async () => {
    const model = join(dir, 'mlp.onnx');
    const exported = netspec([
      'export',
      'specs/fashion-mlp.net',
      '--weights',
      join(dir, 'run/weights.safetensors'),
      '-o',
      model,
    ]);
    expect(exported.status).toBe(0);

    const checked = python(join(ROOT, 'test/oracle/check_onnx.py'), [model]);
    expect(checked.stderr).toBe('');
    const info = JSON.parse(checked.stdout);
    expect(info.opset).toEqual([18]);
    expect(info.inputs).toEqual({ x: ['N', 1, 28, 28] });
    expect(info.outputs).toEqual({ logits: ['N', 10] });
    expect(JSON.parse(info.metadata['netspec.classes'])).toHaveLength(10);

    const { images, labels, count } = readIdxForTest('t10k');
    const session = await ort.InferenceSession.create(model);
    const x = Float32Array.from(images, (p) => p / 255);
    const out = await session.run({ x: new ort.Tensor('float32', x, [count, 1, 28, 28]) });
    const logits = out.logits.data as Float32Array;
    let correct = 0;
    for (let i = 0; i < count; i++) {
      const row = logits.subarray(i * 10, i * 10 + 10);
      if (row.indexOf(Math.max(...row)) === labels[i]) correct++;
    }
    const metrics = readFileSync(join(dir, 'run/metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(correct / count).toBeCloseTo(metrics[1].testAccuracy, 6);
  });
});
