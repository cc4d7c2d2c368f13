// The rough edges a new user met first, each fixed: predict resizes an image of another size
// (and says so); eval and export list every way a weights file does not fit, as train --weights
// does; info shows a model whose height and width are dynamic, at a size it states; SGD(lr: 0)
// is allowed as in torch; a network is exported without a train block.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initialParameters } from '../../../compiler/index.js';
import { readSafetensors, encodeSafetensors } from '../../../runtime/weights.js';
import { grayPng } from '../../helpers/fashion-files.js';
import { writeIdxPair } from '../../helpers/idx.js';
import { FIXTURES } from '../../helpers/machine.js';
import { netspec, readFloat32, recipeOf, tempDir } from '../../helpers/spec.js';

const FIXTURE = join(FIXTURES, 'resnet18');

const spec = (optimizer = 'SGD(lr: 0.1)') => `
dataset D {
  train = idx("images", "labels")
  test = idx("images", "labels")
  classes = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]
}
network MLP {
  input x: [1, 28, 28]
  x -> Flatten -> Linear(784, 16) -> ReLU -> Linear(16, 10)
}
train T { model = MLP()  data = D, batch: 8  loss = cross_entropy  optimizer = ${optimizer}  epochs = 1  seed = 5 }
`;

describe('a new user', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir();
    writeIdxPair(dir, 32);
    writeFileSync(join(dir, 'spec.net'), spec());
    expect(netspec(['train', 'spec.net', '--out', 'run'], dir).status).toBe(0);
  });

  it('predict resizes an image of another size to the network’s, and says so', () => {
    const flat = (size: number, value: number) =>
      grayPng(new Uint8Array(size * size).fill(value), size, size);
    writeFileSync(join(dir, 'small.png'), flat(28, 140));
    writeFileSync(join(dir, 'large.png'), flat(64, 140));
    const result = netspec(
      ['predict', 'spec.net', 'small.png', 'large.png', '--weights', 'run/weights.safetensors'],
      dir,
    );
    expect(result.stderr).toBe('');
    const [small, large] = result.stdout.trim().split('\n');
    expect(large).toMatch(/^large\.png \(64×64, resized to 28×28\): /);
    // a flat image resizes to the same flat image: the same prediction
    expect(large.replace(/^.*: /, '')).toBe(small.replace(/^small\.png: /, ''));
    // a real picture, enlarged: still resized, and classified
    const png = new PNG({ width: 56, height: 56 });
    png.data.fill(255);
    writeFileSync(join(dir, 'photo.png'), PNG.sync.write(png));
    expect(netspec(['predict', 'spec.net', 'photo.png', '--weights', 'run'], dir).stdout).toMatch(
      /^photo\.png \(56×56, resized to 28×28\): [a-j] \d+\.\d%/,
    );
  });

  it('eval and export list every mismatch of a weights file, as train --weights does', () => {
    const good = readSafetensors(join(dir, 'run/weights.safetensors'));
    const bad = new Map(good);
    bad.delete('linear2.bias');
    bad.set('linear1.weight', { shape: [16, 10], data: new Float32Array(160) });
    bad.set('extra', { shape: [1], data: new Float32Array(1) });
    writeFileSync(join(dir, 'bad.safetensors'), encodeSafetensors(bad));
    const problems = [
      "  'linear1.weight' has shape [16, 10], the model needs [16, 784]",
      "  'linear2.bias' is missing",
      "  'extra' is not in the model",
    ];
    for (const command of [
      ['eval', 'spec.net', '--weights', 'bad.safetensors'],
      ['export', 'spec.net', '--weights', 'bad.safetensors', '-o', 'x.onnx'],
      ['train', 'spec.net', '--weights', 'bad.safetensors', '--out', 'run2'],
    ]) {
      const result = netspec(command, dir);
      expect(result.status, command[0]).toBe(1);
      const lines = result.stderr.trim().split('\n');
      expect(lines[0], command[0]).toMatch(
        /^error NS4004: bad\.safetensors does not fit MLP \(3 problems/,
      );
      expect(lines.slice(1), command[0]).toEqual(problems);
    }
  });

  it('SGD(lr: 0) trains, as torch allows, and leaves the weights where they started', () => {
    writeFileSync(join(dir, 'still.net'), spec('SGD(lr: 0, momentum: 0.9)'));
    const result = netspec(['train', 'still.net', '--out', 'still'], dir);
    expect(result.stderr).toBe('');
    const saved = readSafetensors(join(dir, 'still/weights.safetensors'));
    const initial = initialParameters(recipeOf(spec()).model, 5);
    for (const [name, values] of initial) expect(saved.get(name)!.data, name).toEqual(values);
  });

  it('info shows a model with dynamic height and width, at a size it states', () => {
    const result = netspec(['info', join(FIXTURE, 'resnet18.onnx')]);
    expect(result.stderr).toBe('');
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(
      /the input size is not fixed \(\[N, 3, height, width\]\); shown for \[3, 224, 224\] — choose another with --input C,H,W$/,
    );
    expect(result.stdout).toMatch(/^fc +Linear +\[N, 1000\] +513,000 +yes$/m);
    expect(result.stdout).toContain('11,689,512 parameters: 11,689,512 trainable');
    const chosen = netspec(['info', join(FIXTURE, 'resnet18.onnx'), '--input', '3,64,64']);
    expect(chosen.stdout).not.toContain('not fixed');
    expect(chosen.stdout).toMatch(/^avgpool .*\[N, 512, 1, 1\]/m);
    expect(chosen.stdout).toMatch(/^layer4\.1\.conv2 .*\[N, 512, 2, 2\]/m);
  });

  it('exports a network without a train block: an ONNX import with its own weights', async () => {
    const text = `
network R = onnx(${JSON.stringify(join(FIXTURE, 'resnet18.onnx'))}, shape: [3, 64, 64]) {}
`;
    writeFileSync(join(dir, 'net.net'), text);
    const result = netspec(['export', 'net.net', '--network', 'R', '-o', 'r.onnx'], dir);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('wrote r.onnx (opset 18, the imported weights)\n');
    // PyTorch's logits for the fixture's input batch
    const session = await ort.InferenceSession.create(readFileSync(join(dir, 'r.onnx')));
    const x = readFloat32(join(FIXTURE, 'input-2x3x64x64.f32'));
    const out = await session.run({
      [session.inputNames[0]]: new ort.Tensor('float32', x, [2, 3, 64, 64]),
    });
    const logits = out[session.outputNames[0]].data as Float32Array;
    const expected = readFloat32(join(FIXTURE, 'logits-2x1000.f32'));
    const worst = Math.max(...expected.map((v, i) => Math.abs(v - logits[i])));
    expect(worst).toBeLessThan(1e-3);
    // after surgery, the new layer is named
    writeFileSync(
      join(dir, 'new.net'),
      text
        .replace('{}', '{\n  replace fc with Linear(512, 10)\n}')
        .replace('network R', 'network F'),
    );
    expect(netspec(['export', 'new.net', '--network', 'F', '-o', 'f.onnx'], dir).stdout).toBe(
      'wrote f.onnx (opset 18, the imported weights; new layers fc initialized (seed 0), not trained)\n',
    );
    const missing = netspec(['export', 'net.net', '--network', 'Q', '-o', 'q.onnx'], dir);
    expect(missing.stderr).toBe("error NS4001: net.net: no network named 'Q' (found: R)\n");
  }, 60_000);
});
