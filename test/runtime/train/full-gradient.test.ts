// `full_grad_norm`, the notes' ‖∇f(θ)‖ over the whole training set, against PyTorch
// (test/oracle/full_grad_norm.py): mean cross entropy plus weight_decay's penalty, in evaluation
// mode (no dropout, batch norm's running statistics), over batches of unequal sizes.
import { describe, expect, it } from 'vitest';
import { compileRecipe, initialParameters, Rng } from '../../../compiler/index.js';
import type { Split } from '../../../runtime/data/dataset.js';
import { FullGradient } from '../../../runtime/full-gradient.js';
import { ort } from '../../../runtime/session.js';
import { python, recipeOf, ROOT } from '../../helpers/spec.js';

const SPEC = (shape: number[], chain: string) => `
dataset D { train = idx("unused-images", "unused-labels") }
network Net {
  input x: [${shape.join(', ')}]
  x -> ${chain}
}
train T {
  model = Net()
  data = D, batch: 8
  loss = cross_entropy
  optimizer = SGD(lr: 0.1)
  weight_decay = 0.01
  epochs = 1
}`;

const CASES = [
  {
    name: 'an MLP with dropout',
    shape: [1, 6, 5],
    chain: 'Flatten -> Linear(30, 16) -> ReLU -> Dropout(0.5) -> Linear(16, 4)',
    torch: [['Flatten'], ['Linear', 30, 16], ['ReLU'], ['Dropout', 0.5], ['Linear', 16, 4]],
  },
  {
    name: 'a CNN with batch norm and max pooling',
    shape: [1, 6, 6],
    chain: 'Conv2d(1, 4, 3) -> BatchNorm2d(4) -> ReLU -> MaxPool2d(2) -> Flatten -> Linear(16, 4)',
    torch: [
      ['Conv2d', 1, 4, 3],
      ['BatchNorm2d', 4],
      ['ReLU'],
      ['MaxPool2d', 2],
      ['Flatten'],
      ['Linear', 16, 4],
    ],
  },
];

describe('full_grad_norm', () => {
  it.each(CASES)(
    '$name: ‖∇f(θ)‖ over the whole training set, in evaluation mode, as PyTorch computes it',
    async ({ shape, chain, torch: layers }) => {
      const recipe = recipeOf(SPEC(shape, chain));
      const compiled = compileRecipe(recipe);
      // 1,200 examples: batches of 500, 500 and 200, so the weighting by batch size matters.
      const count = 1200;
      const pixels = shape.reduce((a, b) => a * b, 1);
      const rng = new Rng(3, 'full-gradient');
      const images = Uint8Array.from({ length: count * pixels }, () => rng.below(256));
      const labels = Int32Array.from({ length: count }, () => rng.below(4));
      const split: Split = {
        images,
        labels,
        count,
        imageShape: shape,
        scale: 1 / 255,
        origin: 'memory',
        labelAt: String,
      };
      const values = initialParameters(recipe.model, 9);
      const weights = Object.fromEntries(
        compiled.manifest.parameters.map((p) => [
          p.name,
          new ort.Tensor('float32', values.get(p.name)!, p.shape),
        ]),
      );
      const gradient = new FullGradient(recipe, { device: 'cpu', threads: 1 });
      const norm = await gradient.norm(0, weights, split, { imagesName: 'x', feeding: {} });
      await gradient.release();

      // torch's net.parameters(): the trainable ones (buffers keep torch's fresh values, as ours)
      const trained = compiled.manifest.parameters.filter((p) => p.trainable);
      const request = {
        layers,
        params: trained.map((p) => Array.from(values.get(p.name)!)),
        x: Array.from(images, (v) => v / 255),
        shape: [count, ...shape],
        labels: Array.from(labels),
        lambda: 0.01,
      };
      const input = Buffer.from(JSON.stringify(request));
      const result = python(`${ROOT}/test/oracle/full_grad_norm.py`, [], input);
      expect(result.stderr).toBe('');
      const torch = JSON.parse(result.stdout) as { norm: number; train_mode_norm: number };
      expect(Math.abs(norm - torch.norm) / torch.norm).toBeLessThan(1e-5);
      // Dropout or batch statistics would change it: evaluation mode is what was compared.
      expect(Math.abs(torch.train_mode_norm - torch.norm) / torch.norm).toBeGreaterThan(1e-3);
    },
    60_000,
  );
});
