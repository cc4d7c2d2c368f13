// `npm run bench`: throughput figures, printed, never asserted. Compares netspec's training
// speed with the machine's measured matrix-multiply ceiling and with PyTorch on this machine.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { resolve } from 'node:path';

const SYSTEM_FASHION = '/usr/share/datasets/fashion-mnist';

/** PyTorch 1.13 on this kind of machine as recorded in the design notes (PERF-NOTES.md; Adam, 2 threads). */
const PERF_NOTES_PYTORCH_MLP = 15138;

/** PyTorch 1.13 finetuning ResNet18 at 28×28, batch 64 (PERF-NOTES.md). */
const PERF_NOTES_PYTORCH_FINETUNE = 676;
const FINETUNE_IMAGES = 3200;
/** Training images of the ResNet18-from-scratch figure: 30 batches of 64. */
const RESNET_IMAGES = 1920;
const PERF_NOTES_PYTORCH_CNN = 1056;
/** Training images of the CNN figure: 200 batches of 64 (a full epoch takes minutes). */
const CNN_IMAGES = 12800;
import type { Recipe } from '../compiler/index.js';
import { checkSpec, compileRecipe, forwardFlops, matmulModel } from '../compiler/index.js';
import { loadDataset } from '../runtime/data/dataset.js';
import { csvIngestLine } from './csv.js';
import { streamReadLine } from './stream.js';
import { dataLines } from './data.js';
import { createSession, ort } from '../runtime/session.js';
import type { StepProgress } from '../runtime/train.js';
import { train } from '../runtime/train.js';
import {
  checkMilliseconds,
  editedSpecs,
  firstDiagnostics,
  lspLatency,
  median,
} from './language.js';
import { readBinary, readImport } from '../runtime/cli/load.js';
import { transferLines } from './gpu.js';
import { startupLine } from './startup.js';

/**
 * PyTorch on the same machine, same MLP and recipe, measured now by bench/pytorch_mlp.py with
 * Debian's python3-torch; undefined when PyTorch is not installed.
 */
function pytorchMlp(threads: number): number | undefined {
  return pytorch('pytorch_mlp.py', [String(threads)]);
}

/** The same for the seed's CNN (bench/pytorch_cnn.py), on the first `images` training images. */
function pytorchCnn(threads: number, images: number): number | undefined {
  return pytorch('pytorch_cnn.py', [String(threads), String(images)]);
}

/** The same for ResNet18 from scratch at 28×28, 1 channel (bench/pytorch_resnet18.py). */
function pytorchResnet18(threads: number, images: number): number | undefined {
  return pytorch('pytorch_resnet18.py', [String(threads), String(images)]);
}

function pytorch(script: string, args: string[]): number | undefined {
  const path = resolve(import.meta.dirname, '../../bench', script);
  const result = spawnSync('/usr/bin/python3', [path, SYSTEM_FASHION, ...args], {
    encoding: 'utf8',
  });
  if (result.status !== 0) return undefined;
  return (JSON.parse(result.stdout) as { images_per_second: number }).images_per_second;
}

async function matmulGflops(n: number, threads: number): Promise<number> {
  const session = await createSession(matmulModel(n), { device: 'cpu', threads });
  const data = Float32Array.from({ length: n * n }, (_, i) => ((i * 7919) % 1000) / 1000);
  const feeds = {
    a: new ort.Tensor('float32', data, [n, n]),
    b: new ort.Tensor('float32', data, [n, n]),
  };
  await session.run(feeds); // warm-up
  // The fastest of 10: on this VM a run's time is bimodal (2 threads: ≈ 150 or ≈ 300 GFLOP/s
  // back to back), from page faults on its fresh 16 MB output and from the host, so a median
  // understates the ceiling (and flatters every ratio to it) as often as not.
  let fastest = Infinity;
  for (let i = 0; i < 10; i++) {
    const start = performance.now();
    await session.run(feeds);
    fastest = Math.min(fastest, (performance.now() - start) / 1000);
  }
  return (2 * n ** 3) / fastest / 1e9;
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

/** Training FLOPs per image: 3× the forward pass (forward, input and weight gradients). */
const trainingFlops = (recipe: Recipe) => 3 * forwardFlops(recipe.model);

/** Trains one epoch of a spec's recipe on the first `images` training images. */
async function subsetTraining(
  specFile: string,
  recipeName: string,
  images: number,
  threads: number,
) {
  const path = resolve(import.meta.dirname, '../../specs', specFile);
  const { spec } = checkSpec(readFileSync(path, 'utf8'), path, readImport, readBinary);
  const recipe = spec.recipes.get(recipeName)!;
  const { train: full } = loadDataset(recipe.dataset, recipe.model, []);
  const pixels = full.imageShape.reduce((a, b) => a * b, 1);
  const subset = {
    ...full,
    count: images,
    images: full.images.subarray(0, images * pixels),
    labels: full.labels.subarray(0, images),
  };
  const compiled = compileRecipe(recipe);
  // Steady state, as PERF-NOTES measures peers: from the end of the first onnxruntime run
  // (which plans and allocates, ≈ 1 s for ResNet18) to the end of the epoch. A run takes up to
  // 8 steps, reported together once it ends: the first run's steps are those reported before
  // the loop next yields to the event loop, and their images do not count.
  let firstSeen = 0;
  let firstRunDone = false;
  let started = 0;
  let last: StepProgress | undefined;
  await train(
    recipe,
    compiled,
    { train: subset },
    {
      epochs: 1,
      threads,
      device: 'cpu',
      onStep: (p) => {
        if (started === 0) {
          started = performance.now();
          setImmediate(() => (firstRunDone = true));
        }
        if (!firstRunDone) firstSeen = p.seen;
        last = p;
      },
    },
  );
  const seconds = (performance.now() - started) / 1000;
  return {
    imagesPerSecond: (last!.seen - firstSeen) / seconds,
    flopsPerImage: trainingFlops(recipe),
  };
}

const cnnTraining = (threads: number) =>
  subsetTraining('fashion-cnn.net', 'Baseline', CNN_IMAGES, threads);

const fmt = (x: number, digits = 0) =>
  x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function languageFigures() {
  const specs = editedSpecs();
  const generated = specs[specs.length - 1];
  const check = checkMilliseconds(generated.text);
  console.log(`check of ${generated.name}: ${fmt(check, 1)} ms (median of 5)`);
  const starts = [];
  for (let i = 0; i < 5; i++) starts.push(await firstDiagnostics(specs[0]));
  console.log(
    `language server: first diagnostics ${fmt(median(starts), 0)} ms after it starts ` +
      `(${specs[0].name}, median of 5, node startup included)`,
  );
  for (const spec of specs) {
    const latency = await lspLatency(spec, 9);
    console.log(
      `language server: diagnostics ${fmt(latency, 1)} ms after an edit of ${spec.name} (median of 9)`,
    );
  }
}

/** ResNet18 trained from scratch (every layer trainable, batch norm in training mode). */
async function resnetFigure(gflops: number) {
  const run = await subsetTraining('resnet18.net', 'Scratch', RESNET_IMAGES, 0);
  const achieved = (run.imagesPerSecond * run.flopsPerImage) / 1e9;
  const torch = pytorchResnet18(cpus().length, RESNET_IMAGES);
  const versus = torch
    ? `${fmt(run.imagesPerSecond / torch, 2)}× PyTorch on this machine (${fmt(torch)} images/s, same recipe)`
    : 'PyTorch not measured (no /usr/bin/python3 with torch)';
  console.log(
    `ResNet18 from scratch (1×28×28, 10 classes, batch 64, Adam, ${fmt(RESNET_IMAGES)} images): ` +
      `${fmt(run.imagesPerSecond)} images/s = ${versus}; ${fmt(achieved, 1)} GFLOP/s = ` +
      `${fmt((100 * achieved) / gflops, 1)}% of the MatMul ceiling (${fmt(run.flopsPerImage / 1e6, 1)} MFLOP/image)`,
  );
}

async function main() {
  console.log(startupLine());
  await languageFigures();
  const gflops1 = await matmulGflops(2048, 1);
  const gflops2 = await matmulGflops(2048, 2);
  console.log(
    `fp32 MatMul 2048³ through onnxruntime (fastest of 10 runs): ${fmt(gflops1, 1)} GFLOP/s (1 thread), ${fmt(gflops2, 1)} GFLOP/s (2 threads)`,
  );
  const mlp = await mlpTraining(0);
  const ceiling = (gflops2 * 1e9) / mlp.flopsPerImage;
  const torch = pytorchMlp(cpus().length);
  const versus = torch
    ? `${fmt(mlp.imagesPerSecond / torch, 2)}× PyTorch on this machine (${fmt(torch)} images/s, same recipe)`
    : 'PyTorch not measured (no /usr/bin/python3 with torch)';
  const noted = `${fmt(mlp.imagesPerSecond / PERF_NOTES_PYTORCH_MLP, 2)}× the PERF-NOTES PyTorch figure (${fmt(PERF_NOTES_PYTORCH_MLP)})`;
  console.log(
    `MLP 784-256-10 training (Fashion-MNIST, batch 64, SGD+momentum, 1 epoch): ${fmt(mlp.imagesPerSecond)} images/s` +
      ` = ${versus}, ${noted}; ${fmt((100 * mlp.imagesPerSecond) / ceiling, 1)}% of the MatMul ceiling` +
      ` (${fmt(ceiling)} images/s at ${fmt(mlp.flopsPerImage / 1e6, 2)} MFLOP/image)`,
  );
  const cnn = await cnnTraining(0);
  const cnnCeiling = (gflops2 * 1e9) / cnn.flopsPerImage;
  const cnnTorch = pytorchCnn(cpus().length, CNN_IMAGES);
  const cnnVersus = cnnTorch
    ? `${fmt(cnn.imagesPerSecond / cnnTorch, 2)}× PyTorch on this machine (${fmt(cnnTorch)} images/s, same recipe)`
    : 'PyTorch not measured (no /usr/bin/python3 with torch)';
  console.log(
    `CNN conv32-conv64-maxpool-fc128-fc10 training (Fashion-MNIST, batch 64, SGD+momentum, ${fmt(CNN_IMAGES)} images): ` +
      `${fmt(cnn.imagesPerSecond)} images/s = ${cnnVersus}, ` +
      `${fmt(cnn.imagesPerSecond / PERF_NOTES_PYTORCH_CNN, 2)}× the PERF-NOTES PyTorch figure (${fmt(PERF_NOTES_PYTORCH_CNN)}, Adam); ` +
      `${fmt((100 * cnn.imagesPerSecond) / cnnCeiling, 1)}% of the MatMul ceiling (${fmt(cnnCeiling)} images/s at ${fmt(cnn.flopsPerImage / 1e6, 1)} MFLOP/image)`,
  );
  for (const line of await dataLines(cnn.imagesPerSecond)) console.log(line);
  await resnetFigure(gflops2);
  const finetune = await subsetTraining('resnet18-finetune.net', 'Finetune', FINETUNE_IMAGES, 0);
  const finetuneTorch = pytorch('pytorch_finetune.py', [
    String(cpus().length),
    String(FINETUNE_IMAGES),
  ]);
  const finetuneVersus = finetuneTorch
    ? `${fmt(finetune.imagesPerSecond / finetuneTorch, 2)}× PyTorch on this machine (${fmt(finetuneTorch)} images/s, same recipe)`
    : 'PyTorch not measured (no /usr/bin/python3 with torch)';
  console.log(
    `ResNet18 finetune (frozen backbone, new conv1 and fc; 28×28, batch 64, Adam, ${FINETUNE_IMAGES} images): ` +
      `${fmt(finetune.imagesPerSecond)} images/s = ${finetuneVersus}, ` +
      `${fmt(finetune.imagesPerSecond / PERF_NOTES_PYTORCH_FINETUNE, 2)}× the PERF-NOTES PyTorch figure (${PERF_NOTES_PYTORCH_FINETUNE} images/s)`,
  );
}

await main();
for (const line of await transferLines()) console.log(line);
console.log(csvIngestLine());
console.log(streamReadLine());
