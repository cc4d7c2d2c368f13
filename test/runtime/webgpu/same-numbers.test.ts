// Same numbers on WebGPU as on the CPU (SwiftShader, small batches): each recipe's train step,
// compiled for WebGPU, runs wholly on the device (CPU fallback off) and on onnxruntime's CPU
// provider from the same state and batch, and every output — loss, accuracy, norms, each
// parameter's, optimizer slot's and buffer's next value — agrees within 1e-4 relative after one
// step (2e-4 for the ResNet18 finetune) and 1e-3 after ten: the MLP, the seed CNN with dropout,
// a residual network with batch norm, LayerNorm, GroupNorm and InstanceNorm, every optimizer,
// clipping and SAM, and the ResNet18 finetune.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Recipe } from '../../../compiler/index.js';
import { checkSpec, compileRecipe } from '../../../compiler/index.js';
import { readBinary, readImport } from '../../../runtime/cli/load.js';
import { readIdxForTest } from '../../helpers/fashion.js';
import { withFixtureModels } from '../../helpers/fixture-models.js';
import type { Batch } from '../../helpers/webgpu.js';
import {
  cpuSession,
  outputsBeyond,
  trainSteps,
  useSwiftShader,
  webgpuSession,
} from '../../helpers/webgpu.js';

beforeAll(useSwiftShader);

function recipe(file: string, name: string): Recipe {
  // Specs that import an ONNX model (the ResNet18 finetune) find it beside them there.
  const path = join(withFixtureModels('specs'), 'specs', file);
  const { spec, diagnostics } = checkSpec(readFileSync(path, 'utf8'), path, readImport, readBinary);
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return spec.recipes.get(name)!;
}

/** Consecutive batches of real Fashion-MNIST images, as ToTensor makes them. */
function fashion(count: number, size: number): Batch[] {
  const { images, labels } = readIdxForTest('train');
  return Array.from({ length: count }, (_, s) => {
    const first = s * size;
    return {
      images: Float32Array.from(images.subarray(first * 784, (first + size) * 784), (v) => v / 255),
      labels: Array.from(labels.subarray(first, first + size)),
      shape: [1, 28, 28],
    };
  });
}

/** `steps` steps on WebGPU and on the CPU, each from the same state: the outputs beyond `tolerance`. */
async function compare(r: Recipe, steps: number, tolerance: number, size = 4) {
  const compiled = compileRecipe(r, { target: 'webgpu' });
  expect(compiled.warnings).toEqual([]);
  const batches = fashion(steps, size);
  const gpu = await trainSteps(await webgpuSession(compiled.train), r, compiled, batches);
  const cpu = await trainSteps(await cpuSession(compiled.train), r, compiled, batches);
  const last = steps - 1;
  expect(Object.keys(cpu[last]).length).toBeGreaterThan(4);
  return outputsBeyond(gpu[last], cpu[last], tolerance);
}

const ONE_STEP: [string, string][] = [
  ['fashion-mlp.net', 'Baseline'],
  ['fashion-cnn.net', 'Seed'],
  ['residual.net', 'Baseline'],
  ['normalizations.net', 'Baseline'],
  ...['SGDMomentum', 'Nesterov', 'Adagrad', 'RMSprop', 'Adam', 'AdamW'].map(
    (name) => ['optimizers.net', name] as [string, string],
  ),
  ['regularization.net', 'Regularized'],
  ['regularization.net', 'FixedNormal'],
];

describe('one step on WebGPU', () => {
  for (const [file, name] of ONE_STEP) {
    it(`equals the CPU's within 1e-4: ${file} ${name}`, async () => {
      expect(await compare(recipe(file, name), 1, 1e-4)).toEqual({});
    });
  }
  // conv1's gradient comes back through 17 convolutions and 20 batch norms, each device
  // summing in its own order: the new conv1's Adam moments differ by up to 1.4e-4 (the second
  // moment is the gradient squared, twice its relative difference).
  it("equals the CPU's within 2e-4: resnet18-finetune.net Finetune", async () => {
    expect(await compare(recipe('resnet18-finetune.net', 'Finetune'), 1, 2e-4)).toEqual({});
  });
});

describe('ten steps on WebGPU', () => {
  for (const [file, name] of [
    ['fashion-mlp.net', 'Baseline'],
    ['fashion-cnn.net', 'Seed'],
  ]) {
    it(`end within 1e-3 of the CPU's: ${file} ${name}`, async () => {
      expect(await compare(recipe(file, name), 10, 1e-3, 2)).toEqual({});
    });
  }
});
