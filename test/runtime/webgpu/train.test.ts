// `netspec train --device webgpu` on SwiftShader, end to end: the same accuracy as on the CPU,
// the state kept on the device (what a run moves is its batches and scalars), and the bad
// cases — no adapter, out of GPU memory, a GPU lost mid-run — as one line, exit code 1, the
// last checkpoint intact, and `--resume` finishing the run as if nothing had happened.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkSpec, compileRecipe } from '../../../compiler/index.js';
import { prepareData } from '../../../runtime/cli/data.js';
import { train } from '../../../runtime/train.js';
import { readSafetensors } from '../../../runtime/weights.js';
import { readIdxForTest } from '../../helpers/fashion.js';
import { idxBytes } from '../../helpers/idx.js';
import { ROOT, tempDir } from '../../helpers/spec.js';
import { useSwiftShader } from '../../helpers/webgpu.js';

const TRAIN = 480;
const BATCH = 32;

const SPEC = (network: string, batch = BATCH, checkpoints = 'ckpt') => `
dataset Fashion {
  train = idx("train-images", "train-labels")
  test = idx("test-images", "test-labels")
}
network Net {
  input x: [1, 28, 28]
  x -> ${network}
}
train T {
  model = Net()
  data = Fashion, batch: ${batch}, shuffle: true
  loss = cross_entropy
  optimizer = SGD(lr: 0.05, momentum: 0.9)
  epochs = 2
  seed = 7
  checkpoint "${checkpoints}" every 10 steps
}
`;
const MLP = 'Flatten -> Linear(784, 64) -> ReLU -> Linear(64, 10)';

let dir: string;

beforeAll(() => {
  useSwiftShader();
  dir = tempDir('netspec-webgpu-');
  for (const [split, name, count] of [
    ['train', 'train', TRAIN],
    ['t10k', 'test', 240],
  ] as const) {
    const { images, labels } = readIdxForTest(split);
    writeFileSync(
      join(dir, `${name}-images`),
      idxBytes([count, 28, 28], images.subarray(0, count * 784)),
    );
    writeFileSync(join(dir, `${name}-labels`), idxBytes([count], labels.subarray(0, count)));
  }
  writeFileSync(join(dir, 'mlp.net'), SPEC(MLP));
});

function cli(args: string[], env: Record<string, string | undefined> = {}) {
  const result = spawnSync(process.execPath, [join(ROOT, 'bin/netspec.js'), ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const testAccuracy = (out: string) =>
  out
    .split('\n')
    .filter((l) => l.startsWith('{') && l.includes('"epoch"'))
    .map((l) => JSON.parse(l).testAccuracy as number)
    .at(-1)!;

describe('netspec train --device webgpu', () => {
  it('reaches the accuracy the CPU reaches, to 0.5 points, all on the device', () => {
    const gpu = cli([
      'train',
      'mlp.net',
      '--device',
      'webgpu',
      '--no-fallback',
      '--json',
      '--out',
      'gpu',
    ]);
    expect(gpu.stderr).toBe('');
    expect(gpu.status).toBe(0);
    const cpu = cli(['train', 'mlp.net', '--json', '--out', 'cpu']);
    expect(cpu.status).toBe(0);
    expect(testAccuracy(cpu.stdout)).toBeGreaterThan(0.6);
    expect(Math.abs(testAccuracy(gpu.stdout) - testAccuracy(cpu.stdout))).toBeLessThan(0.005);
    expect(existsSync(join(dir, 'gpu', 'weights.safetensors'))).toBe(true);
  });

  it('moves only batches and scalars each step, the weights once each way', async () => {
    const path = join(dir, 'mlp.net');
    const { spec } = checkSpec(readFileSync(path, 'utf8'), path);
    const recipe = spec.recipes.get('T')!;
    const data = prepareData(recipe, path, []);
    const compiled = compileRecipe(recipe, { target: 'webgpu', pixelScale: data.train.scale });
    const result = await train(
      recipe,
      compiled,
      { train: data.train },
      {
        epochs: 1,
        threads: 1,
        device: 'webgpu',
        noFallback: true,
      },
    );
    const steps = TRAIN / BATCH;
    const state = [...result.weights.values()].reduce((n, w) => n + 4 * w.length, 0) * 2; // + momentum
    const perStep = BATCH * 784 + 4 * BATCH + 4; // uint8 pixels, int32 labels, the learning rate
    // The first step uploads the initial state and step number; the end brings the state back.
    expect(result.transfers).toEqual({
      uploaded: state + 4 + steps * perStep,
      downloaded: state + 4 + steps * 5 * 4, // + the step counter; loss, correct, three norms
      steps,
    });
  });

  it('says in one line that there is no adapter and what to install, and writes nothing', () => {
    const none = cli(['train', 'mlp.net', '--device', 'webgpu', '--out', 'none'], {
      VK_ICD_FILENAMES: join(dir, 'no-such-driver.json'),
    });
    expect(none.status).toBe(1);
    expect(none.stderr.trim().split('\n')).toHaveLength(1);
    expect(none.stderr).toMatch(
      /^error NS4006: --device webgpu: no WebGPU adapter: no Vulkan driver was found: install/,
    );
    expect(existsSync(join(dir, 'none'))).toBe(false);
  });

  it('names the batch size and the memory asked for when the GPU runs out, writing nothing', () => {
    // 4096 feature maps of 26×26 at batch 120: a 1.24 GiB tensor, more than SwiftShader's 1 GiB.
    const network = 'Conv2d(1, 4096, 3) -> AdaptiveAvgPool2d(1) -> Flatten -> Linear(4096, 10)';
    writeFileSync(join(dir, 'big.net'), SPEC(network, 120, 'ckpt-big'));
    const big = cli(['train', 'big.net', '--device', 'webgpu', '--out', 'big']);
    expect(big.status).toBe(1);
    expect(big.stderr).toMatch(
      /^error NS4006: out of GPU memory at step 1 \(epoch 1\): at batch size 120 the train step asks for up to [\d.]+ GiB/,
    );
    expect(big.stderr).toMatch(
      /its largest tensor, conv2d1\/\S+ \[120, 4096, 26, 26\], is 1\.24 GiB\); lower the batch size; no checkpoint had been written$/m,
    );
    expect(existsSync(join(dir, 'big', 'weights.safetensors'))).toBe(false);
  });

  it('stops where the GPU is lost with the last checkpoint intact, and --resume finishes the run', () => {
    const lost = cli(['train', 'mlp.net', '--device', 'webgpu', '--out', 'lost'], {
      NETSPEC_TEST_LOSE_DEVICE_AT_STEP: '25',
    });
    expect(lost.status).toBe(1);
    expect(lost.stderr).toMatch(
      /^error NS4006: the GPU was lost at step 26 \(epoch 2\) .*the last checkpoint \(of step 20\) in ckpt\/last is intact: continue with --resume ckpt\/last/,
    );
    expect(JSON.parse(readFileSync(join(dir, 'ckpt', 'last', 'state.json'), 'utf8')).step).toBe(20);
    expect(existsSync(join(dir, 'lost', 'weights.safetensors'))).toBe(false);
    const resumed = cli([
      'train',
      'mlp.net',
      '--device',
      'webgpu',
      '--resume',
      'ckpt/last',
      '--out',
      'lost',
    ]);
    expect(resumed.status).toBe(0);
    const whole = readSafetensors(join(dir, 'gpu', 'weights.safetensors'));
    const after = readSafetensors(join(dir, 'lost', 'weights.safetensors'));
    for (const [name, t] of whole)
      expect(Array.from(after.get(name)!.data), name).toEqual(Array.from(t.data));
  });
});
