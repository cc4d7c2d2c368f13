// A small MLP on 4×4 images that netspec exports to ONNX, for tests that import a model and
// train it (stages, the compile cache) in well under a second, and its in-memory data.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileInference, initialParameters, Rng } from '../../compiler/index.js';
import type { Split } from '../../runtime/data/sources.js';
import { recipeOf } from './spec.js';

const MLP = `
dataset D { train = idx("unused-images", "unused-labels") }
network MLP {
  input x: [1, 4, 4]
  x -> Flatten -> Linear(16, 8) -> ReLU -> Linear(8, 8) -> ReLU -> Linear(8, 3)
}
train Export { model = MLP()  data = D  loss = cross_entropy  optimizer = SGD(lr: 0.1)  epochs = 1  seed = 4 }
`;

/** Writes the MLP (layers linear1–linear3, 3 classes) as `dir/mlp.onnx`; returns its path. */
export function writeSmallMlp(dir: string): string {
  const mlp = recipeOf(MLP);
  const path = join(dir, 'mlp.onnx');
  writeFileSync(path, compileInference(mlp.model, initialParameters(mlp.model, 4)));
  return path;
}

/** 12 random 4×4 images of 3 classes (3 steps per epoch at batch 4); `stream` seeds them. */
export function smallSplit(stream: string): Split {
  const rng = new Rng(9, stream);
  const images = Uint8Array.from({ length: 12 * 16 }, () => Math.floor(rng.uniform(0, 256)));
  const labels = Int32Array.from({ length: 12 }, (_, i) => i % 3);
  return {
    images,
    labels,
    count: 12,
    imageShape: [1, 4, 4],
    scale: 1 / 255,
    origin: 'memory',
    labelAt: (i: number) => `example ${i}`,
  } as Split;
}
