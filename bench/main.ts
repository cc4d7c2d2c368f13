// `npm run bench`: throughput figures, printed, never asserted. Compares netspec's training
// speed with the machine's measured matrix-multiply ceiling and with PyTorch on this machine
// (a fair peer, interleaved: bench/peer.ts).
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { resolve } from 'node:path';

const FINETUNE_IMAGES = 3200;
/** Training images of the ResNet18-from-scratch figure: 30 batches of 64. */
const RESNET_IMAGES = 1920;
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
  besideLarge,
  firstDiagnostics,
  lspLatency,
  median,
  ROOT,
} from './language.js';
import { readBinary, readImport } from '../runtime/cli/load.js';
import { transferLines } from './gpu.js';
import { startupLine } from './startup.js';
import { firstStepLine } from './first-step.js';
import { convLowering } from '../runtime/blocked-probe.js';
import type { Peer } from './peer.js';
import { comparisonText, findPeer, interleaved, peerLine } from './peer.js';

/** Rounds of interleaved netspec and PyTorch runs behind each ratio. */
const ROUNDS = Number(process.env.NETSPEC_BENCH_ROUNDS ?? 3);

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
  // What `netspec train` runs on this CPU: the blocked convolution kernel where the probe finds it.
  const conv = await convLowering('cpu');
  const compiled = compileRecipe(recipe, { conv });
  // Steady state, as the PyTorch peers are measured: from the end of the first onnxruntime run
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
      conv,
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
  const beside = [];
  for (let i = 0; i < 3; i++) beside.push(await besideLarge(specs[0]));
  console.log(
    `language server: diagnostics of ${specs[0].name} ${fmt(median(beside.map((b) => b.small)))} ms ` +
      `after it is opened beside a 1 MiB spec, whose own take ${fmt(median(beside.map((b) => b.large)))} ms (median of 3)`,
  );
  for (const spec of specs) {
    const latency = await lspLatency(spec, 9);
    console.log(
      `language server: diagnostics ${fmt(latency, 1)} ms after an edit of ${spec.name} (median of 9)`,
    );
  }
}

/** ResNet18 trained from scratch (every layer trainable, batch norm in training mode). */
async function resnetFigure(peer: Peer | undefined, gflops: number) {
  let flopsPerImage = 0;
  const run = async () => {
    const r = await subsetTraining('resnet18.net', 'Scratch', RESNET_IMAGES, 0);
    flopsPerImage = r.flopsPerImage;
    return r.imagesPerSecond;
  };
  const c = await interleaved(peer, run, 'pytorch_resnet18.py', [String(RESNET_IMAGES)], ROUNDS);
  const achieved = (median(c.netspec) * flopsPerImage) / 1e9;
  console.log(
    `ResNet18 from scratch (1×28×28, 10 classes, batch 64, Adam, ${fmt(RESNET_IMAGES)} images): ` +
      `${comparisonText(c)}; ${fmt(achieved, 1)} GFLOP/s = ` +
      `${fmt((100 * achieved) / gflops, 1)}% of the MatMul ceiling (${fmt(flopsPerImage / 1e6, 1)} MFLOP/image)`,
  );
}

/** The finetune spec's model, which the repository does not hold (45 MB). */
const FINETUNE_MODEL = resolve(ROOT, 'specs/resnet18.onnx');

async function main() {
  if (!existsSync(FINETUNE_MODEL)) {
    console.error(
      `npm run bench times the ResNet18 finetune and needs its model at ${FINETUNE_MODEL}; ` +
        'export it from torchvision as specs/resnet18-finetune.net says',
    );
    process.exit(1);
  }
  console.log(startupLine());
  console.log(await firstStepLine());
  await languageFigures();
  const gflops1 = await matmulGflops(2048, 1);
  const gflops2 = await matmulGflops(2048, 2);
  console.log(
    `fp32 MatMul 2048³ through onnxruntime (fastest of 10 runs): ${fmt(gflops1, 1)} GFLOP/s (1 thread), ${fmt(gflops2, 1)} GFLOP/s (2 threads)`,
  );
  const peer = findPeer(cpus().length);
  console.log(peerLine(peer));
  let mlpFlops = 0;
  const mlpRun = async () => {
    const r = await mlpTraining(0);
    mlpFlops = r.flopsPerImage;
    return r.imagesPerSecond;
  };
  const mlp = await interleaved(peer, mlpRun, 'pytorch_mlp.py', [], ROUNDS);
  const ceiling = (gflops2 * 1e9) / mlpFlops;
  console.log(
    `MLP 784-256-10 training (Fashion-MNIST, batch 64, SGD+momentum, 1 epoch): ${comparisonText(mlp)}; ` +
      `${fmt((100 * median(mlp.netspec)) / ceiling, 1)}% of the MatMul ceiling` +
      ` (${fmt(ceiling)} images/s at ${fmt(mlpFlops / 1e6, 2)} MFLOP/image)`,
  );
  let cnnFlops = 0;
  const cnnRun = async () => {
    const r = await cnnTraining(0);
    cnnFlops = r.flopsPerImage;
    return r.imagesPerSecond;
  };
  const cnn = await interleaved(peer, cnnRun, 'pytorch_cnn.py', [String(CNN_IMAGES)], ROUNDS);
  const cnnCeiling = (gflops2 * 1e9) / cnnFlops;
  console.log(
    `CNN conv32-conv64-maxpool-fc128-fc10 training (Fashion-MNIST, batch 64, SGD+momentum, ${fmt(CNN_IMAGES)} images): ` +
      `${comparisonText(cnn)}; ` +
      `${fmt((100 * median(cnn.netspec)) / cnnCeiling, 1)}% of the MatMul ceiling (${fmt(cnnCeiling)} images/s at ${fmt(cnnFlops / 1e6, 1)} MFLOP/image)`,
  );
  for (const line of await dataLines(median(cnn.netspec))) console.log(line);
  await resnetFigure(peer, gflops2);
  const finetuneRun = async () =>
    (await subsetTraining('resnet18-finetune.net', 'Finetune', FINETUNE_IMAGES, 0)).imagesPerSecond;
  const finetune = await interleaved(
    peer,
    finetuneRun,
    'pytorch_finetune.py',
    [String(FINETUNE_IMAGES)],
    ROUNDS,
  );
  console.log(
    `ResNet18 finetune (frozen backbone, new conv1 and fc; 28×28, batch 64, Adam, ${FINETUNE_IMAGES} images): ` +
      comparisonText(finetune),
  );
}

await main();
for (const line of await transferLines()) console.log(line);
console.log(csvIngestLine());
console.log(streamReadLine());
