// A recipe with BatchNorm1d, GELU and Dropout trains end to end through the CLI on tiny data:
// the loss falls, the running statistics are saved with the weights (state_dict names), two
// runs with the same seed give identical weights (dropout masks included), and the exported
// model — batch norm in eval mode, no dropout — reproduces the test accuracy of the run.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { readSafetensors } from '../../../runtime/weights.js';
import { idxBytes } from '../../helpers/idx.js';
import { netspec, tempDir } from '../../helpers/spec.js';

const COUNT = 96;
const EPOCHS = 4;
const BATCH = 8;

/** Two classes told apart by brightness, with noise, so a small network can learn them. */
function writeData(dir: string) {
  let state = 12345;
  const noise = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
  const labels = Uint8Array.from({ length: COUNT }, (_, i) => i % 2);
  const pixels = Uint8Array.from({ length: COUNT * 784 }, (_, i) => {
    const bright = labels[Math.floor(i / 784)] === 1;
    return Math.floor((bright ? 90 : 40) + 120 * noise());
  });
  writeFileSync(join(dir, 'images'), idxBytes([COUNT, 28, 28], pixels));
  writeFileSync(join(dir, 'labels'), idxBytes([COUNT], labels));
  return { pixels, labels };
}

const SPEC = `
dataset Tiny {
  train = idx("images", "labels")
  test  = idx("images", "labels")
}
network Net {
  input x: [1, 28, 28]
  x -> Flatten -> Linear(784, 32) -> BatchNorm1d(32) -> GELU -> Dropout(0.2) -> Linear(32, 2)
}
train T {
  model = Net()
  data = Tiny, batch: ${BATCH}, shuffle: true
  loss = cross_entropy
  optimizer = SGD(lr: 0.05, momentum: 0.9)
  epochs = ${EPOCHS}
  seed = 3
}
`;

describe('BatchNorm1d + GELU + Dropout through the CLI', () => {
  let dir: string;
  let data: ReturnType<typeof writeData>;
  const runs: string[] = [];
  beforeAll(() => {
    dir = tempDir();
    data = writeData(dir);
    writeFileSync(join(dir, 'spec.net'), SPEC);
    for (const out of ['run1', 'run2']) {
      const result = netspec(['train', 'spec.net', '--out', out], dir);
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      runs.push(result.stdout);
    }
  }, 120_000);

  it('learns: the loss is well below chance and the test accuracy is high', () => {
    const epochs = runs[0].split('\n').filter((l) => l.startsWith('epoch'));
    expect(epochs).toHaveLength(EPOCHS);
    const loss = (line: string) => Number(/train loss ([\d.]+)/.exec(line)![1]);
    // Chance level for two classes is ln 2 ≈ 0.69.
    expect(loss(epochs[EPOCHS - 1])).toBeLessThan(0.5 * Math.LN2);
    expect(Number(/test loss [\d.]+ acc ([\d.]+)%/.exec(epochs[EPOCHS - 1])![1])).toBeGreaterThan(
      95,
    );
  });

  it('saves the running statistics under their state_dict names, updated every step', () => {
    const weights = readSafetensors(join(dir, 'run1/weights.safetensors'));
    const steps = EPOCHS * (COUNT / BATCH);
    expect(weights.get('batchnorm1d1.num_batches_tracked')!.data[0]).toBe(steps);
    const mean = weights.get('batchnorm1d1.running_mean')!.data;
    expect(mean).toHaveLength(32);
    expect(Math.max(...mean.map(Math.abs))).toBeGreaterThan(1e-3);
    expect(weights.get('batchnorm1d1.running_var')!.data).toHaveLength(32);
  });

  it('is reproducible: the same seed gives the same weights, dropout included', () => {
    const first = readFileSync(join(dir, 'run1/weights.safetensors'));
    expect(readFileSync(join(dir, 'run2/weights.safetensors')).equals(first)).toBe(true);
  });

  it('exports an eval-mode model that reproduces the reported test accuracy', async () => {
    const exported = netspec(
      ['export', 'spec.net', '--weights', 'run1/weights.safetensors', '-o', 'net.onnx'],
      dir,
    );
    expect(exported.stderr).toBe('');
    const session = await ort.InferenceSession.create(join(dir, 'net.onnx'));
    const x = Float32Array.from(data.pixels, (p) => p / 255);
    const out = await session.run({ x: new ort.Tensor('float32', x, [COUNT, 1, 28, 28]) });
    const logits = out.logits.data as Float32Array;
    let correct = 0;
    for (let i = 0; i < COUNT; i++) {
      if ((logits[2 * i + 1] > logits[2 * i] ? 1 : 0) === data.labels[i]) correct++;
    }
    const last = runs[0].split('\n').filter((l) => l.startsWith('epoch'))[EPOCHS - 1];
    const reported = Number(/test loss [\d.]+ acc ([\d.]+)%/.exec(last)![1]);
    expect((100 * correct) / COUNT).toBeCloseTo(reported, 1);
  });
});
