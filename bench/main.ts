// `npm run bench`: throughput figures, printed, never asserted. Compares netspec's training
// speed with the machine's measured matrix-multiply ceiling and with PyTorch on this machine.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { checkSpec, compileRecipe, matmulModel } from '../compiler/index.js';
import { loadDataset } from '../runtime/data/dataset.js';
import { createSession, ort } from '../runtime/session.js';
import { train } from '../runtime/train.js';

/** PyTorch 1.13 (Debian, 2 threads) on this machine, Fashion-MNIST, batch 64 (../shared/design/PERF-NOTES.md). */
const PYTORCH_MLP_IMAGES_PER_SECOND = 15138;

async function matmulGflops(n: number, threads: number): Promise<number> {
  const session = await createSession(matmulModel(n), { device: 'cpu', threads });
  const data = Float32Array.from({ length: n * n }, (_, i) => ((i * 7919) % 1000) / 1000);
  const feeds = {
    a: new ort.Tensor('float32', data, [n, n]),
    b: new ort.Tensor('float32', data, [n, n]),
  };
  await session.run(feeds); // warm-up
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    await session.run(feeds);
    times.push((performance.now() - start) / 1000);
  }
  times.sort((a, b) => a - b);
  return (2 * n ** 3) / times[2] / 1e9;
}

async function mlpTraining(threads: number) {
  const path = resolve(import.meta.dirname, '../../specs/fashion-mlp.net');
  const { spec } = checkSpec(readFileSync(path, 'utf8'), path);
  const recipe = spec.recipes.get('Baseline')!;
  const data = loadDataset(recipe.dataset, recipe.model, []);
  const compiled = compileRecipe(recipe);
  const result = await train(
    recipe,
    compiled,
    { train: data.train },
    { epochs: 1, threads, device: 'cpu' },
  );
  const flopsPerImage =
    6 * compiled.manifest.parameters.reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);
  return { imagesPerSecond: result.history[0].imagesPerSecond, flopsPerImage };
}

const fmt = (x: number, digits = 0) =>
  x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function main() {
  const gflops1 = await matmulGflops(2048, 1);
  const gflops2 = await matmulGflops(2048, 2);
  console.log(
    `fp32 MatMul 2048³ through onnxruntime: ${fmt(gflops1, 1)} GFLOP/s (1 thread), ${fmt(gflops2, 1)} GFLOP/s (2 threads)`,
  );
  const mlp = await mlpTraining(0);
  const ceiling = (gflops2 * 1e9) / mlp.flopsPerImage;
  console.log(
    `MLP 784-256-10 training (Fashion-MNIST, batch 64, SGD+momentum, 1 epoch): ${fmt(mlp.imagesPerSecond)} images/s` +
      ` = ${fmt(mlp.imagesPerSecond / PYTORCH_MLP_IMAGES_PER_SECOND, 2)}× PyTorch 1.13 (${fmt(PYTORCH_MLP_IMAGES_PER_SECOND)} images/s)` +
      `, ${fmt((100 * mlp.imagesPerSecond) / ceiling, 1)}% of the MatMul ceiling (${fmt(ceiling)} images/s at ${fmt(mlp.flopsPerImage / 1e6, 2)} MFLOP/image)`,
  );
}

await main();
