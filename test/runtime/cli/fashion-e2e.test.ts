// The whole path on real data: `netspec train specs/fashion-mlp.net` on Fashion-MNIST (Debian's
// dataset-fashion-mnist), `netspec export`, the reference ONNX checker, and onnxruntime
// inference on the exported file reproducing the accuracy the training run reported.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { netspec, python, ROOT, tempDir } from '../../helpers/spec.js';
import { readIdxForTest } from '../../helpers/fashion.js';

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

  it('eval reproduces the reported accuracy; predict classifies PNG files', () => {
    const weights = join(dir, 'run/weights.safetensors');
    const evaluated = netspec(['eval', 'specs/fashion-mlp.net', '--weights', weights]);
    expect(evaluated.status).toBe(0);
    const last = /test loss ([\d.]+) acc ([\d.]+)%/.exec(
      trainOutput
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('epoch'))
        .pop()!,
    )!;
    expect(evaluated.stdout).toContain(
      `test: 10000 examples, loss ${last[1]}, accuracy ${last[2]}%`,
    );
    expect(evaluated.stdout.split('\n').filter((l) => /^\s+\d /.test(l))).toHaveLength(10);

    const { images, labels } = readIdxForTest('t10k');
    const files = [0, 1, 2].map((i) => {
      const png = new PNG({ width: 28, height: 28, colorType: 0 });
      for (let p = 0; p < 784; p++)
        png.data.set([images[i * 784 + p], images[i * 784 + p], images[i * 784 + p], 255], 4 * p);
      const file = join(dir, `image${i}.png`);
      writeFileSync(file, PNG.sync.write(png));
      return file;
    });
    const predicted = netspec([
      'predict',
      'specs/fashion-mlp.net',
      ...files,
      '--weights',
      weights,
      '--top',
      '1',
    ]);
    expect(predicted.status).toBe(0);
    const classes = [
      'T-shirt',
      'Trouser',
      'Pullover',
      'Dress',
      'Coat',
      'Sandal',
      'Shirt',
      'Sneaker',
      'Bag',
      'Ankle boot',
    ];
    const lines = predicted.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    // Training is seeded and deterministic, and the trained MLP classifies these three correctly.
    lines.forEach((line, i) =>
      expect(line).toMatch(new RegExp(`^${files[i]}: ${classes[labels[i]]} [\\d.]+%$`)),
    );
  });
});
