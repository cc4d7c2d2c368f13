// `full_grad_norm`, the notes' ‖∇f(θ)‖ over the whole training set, against PyTorch
// (test/oracle/full_grad_norm.py): mean cross entropy plus weight_decay's penalty, in evaluation
// mode (no dropout), over batches of unequal sizes.
import { describe, expect, it } from 'vitest';
import { compileRecipe, initialParameters, Rng } from '../../../compiler/index.js';
import type { Split } from '../../../runtime/data/dataset.js';
import { FullGradient } from '../../../runtime/full-gradient.js';
import { ort } from '../../../runtime/session.js';
import { python, recipeOf, ROOT } from '../../helpers/spec.js';

const SPEC = `
dataset D { train = idx("unused-images", "unused-labels") }
network Net {
  input x: [1, 6, 5]
  x -> Flatten -> Linear(30, 16) -> ReLU -> Dropout(0.5) -> Linear(16, 4)
}
train T {
  model = Net()
  data = D, batch: 8
  loss = cross_entropy
  optimizer = SGD(lr: 0.1)
  weight_decay = 0.01
  epochs = 1
}`;

describe('full_grad_norm', () => {
  it('is ‖∇f(θ)‖ over the whole training set, in evaluation mode, as PyTorch computes it', async () => {
    const recipe = recipeOf(SPEC);
    const compiled = compileRecipe(recipe);
    // 1,200 examples: batches of 500, 500 and 200, so the weighting by batch size matters.
    const count = 1200;
    const rng = new Rng(3, 'full-gradient');
    const images = Uint8Array.from({ length: count * 30 }, () => rng.below(256));
    const labels = Int32Array.from({ length: count }, () => rng.below(4));
    const split: Split = {
      images,
      labels,
      count,
      imageShape: [1, 6, 5],
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

    const request = {
      layers: [['Flatten'], ['Linear', 30, 16], ['ReLU'], ['Dropout', 0.5], ['Linear', 16, 4]],
      params: compiled.manifest.parameters.map((p) => Array.from(values.get(p.name)!)),
      x: Array.from(images, (v) => v / 255),
      shape: [count, 1, 6, 5],
      labels: Array.from(labels),
      lambda: 0.01,
    };
    const result = python(
      `${ROOT}/test/oracle/full_grad_norm.py`,
      [],
      Buffer.from(JSON.stringify(request)),
    );
    expect(result.stderr).toBe('');
    const torch = JSON.parse(result.stdout) as { norm: number; train_mode_norm: number };
    expect(Math.abs(norm - torch.norm) / torch.norm).toBeLessThan(1e-5);
    // Dropout would change it: evaluation mode is what was compared.
    expect(Math.abs(torch.train_mode_norm - torch.norm) / torch.norm).toBeGreaterThan(1e-3);
  }, 60_000);
});
