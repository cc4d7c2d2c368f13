// A small CNN trained by netspec's compiled steps against PyTorch itself: the same initial
// weights, the same batches (a short last one included), SGD with momentum; the losses and
// final weights must agree to float32 rounding.
import { describe, expect, it } from 'vitest';
import type { TorchLayer } from '../lowering/conv-steps.js';
import { compileCnn, randomBatches, runSteps, torchOracle } from '../lowering/conv-steps.js';

const INPUT = [1, 12, 12];

const NETWORKS: [string, TorchLayer[]][] = [
  [
    'conv-relu-maxpool-conv-relu-avgpool-flatten-linear',
    [
      ['Conv2d', [1, 4, 3], { padding: 1 }],
      ['ReLU', [], {}],
      ['MaxPool2d', [2], {}],
      ['Conv2d', [4, 6, 3], { stride: 1 }],
      ['ReLU', [], {}],
      ['AvgPool2d', [2], {}],
      ['Flatten', [], {}],
      ['Linear', [6 * 2 * 2, 5], {}],
    ],
  ],
  [
    'conv-relu-maxpool(overlapping)-conv(stride 2)-relu-adaptive-flatten-linear',
    [
      ['Conv2d', [1, 4, 3], {}],
      ['ReLU', [], {}],
      ['MaxPool2d', [3], { stride: 2, ceil_mode: true }],
      ['Conv2d', [4, 8, 3], { stride: 2, padding: 1 }],
      ['ReLU', [], {}],
      ['AdaptiveAvgPool2d', [1], {}],
      ['Flatten', [], {}],
      ['Linear', [8, 5], {}],
    ],
  ],
];

describe('CNN training steps match PyTorch', () => {
  it.each(NETWORKS)('%s', async (_name, layers) => {
    const batches = randomBatches(INPUT, 5, [8, 8, 8, 8, 8, 3]);
    const { recipe, compiled } = compileCnn(INPUT, layers, 'SGD(lr: 0.05, momentum: 0.9)');
    const ours = await runSteps(recipe, compiled, batches);
    const torch = torchOracle<{ losses: number[]; params: number[][] }>({
      mode: 'sgd',
      layers,
      params: ours.initial,
      batches,
      optimizer: { lr: 0.05, momentum: 0.9 },
    });
    ours.losses.forEach((loss, k) =>
      expect(Math.abs(loss - torch.losses[k]), `loss ${k}`).toBeLessThan(1e-5 * Math.max(1, loss)),
    );
    ours.params.forEach((values, p) => {
      const worst = Math.max(...values.map((v, i) => Math.abs(v - torch.params[p][i])));
      expect(worst, ours.names[p]).toBeLessThan(5e-6);
      // The run really trained: every parameter moved.
      const moved = Math.max(...values.map((v, i) => Math.abs(v - ours.initial[p][i])));
      expect(moved, `${ours.names[p]} moved`).toBeGreaterThan(1e-3);
    });
  });
});
