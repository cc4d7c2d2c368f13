// Training on a GPU: images/s of the seed CNN, ResNet18 from scratch (batch 256) and the
// ResNet18 finetune on a device (`node dist/bench/gpu.js webgpu|cpu [images] [data-root]
// [batch]`, one JSON line per workload, what bench/gpu.sh prints beside PyTorch CUDA; a batch
// given sets every workload's), and the bytes a training step moves between host and device
// (`npm run bench`).
import { resolve } from 'node:path';
import type { CompiledRecipe, Recipe } from '../compiler/index.js';
import { compileRecipe } from '../compiler/index.js';
import { loadRecipe } from '../runtime/cli/load.js';
import { loadDataset } from '../runtime/data/dataset.js';
import type { Device } from '../runtime/device.js';
import { probeWebgpu } from '../runtime/device.js';
import type { StepProgress } from '../runtime/train.js';
import { train } from '../runtime/train.js';

const SPECS = resolve(import.meta.dirname, '../../specs');

export const WORKLOADS = [
  { name: 'seed CNN', spec: 'fashion-cnn.net', recipe: 'Baseline', batch: 64 },
  { name: 'ResNet18 from scratch', spec: 'resnet18.net', recipe: 'Scratch', batch: 256 },
  { name: 'ResNet18 finetune', spec: 'resnet18-finetune.net', recipe: 'Finetune', batch: 64 },
];

/** A recipe of a spec in specs/ at `batch`; a spec with errors prints them and throws. */
function recipeOf(spec: string, name: string, batch: number): Recipe {
  return { ...loadRecipe(resolve(SPECS, spec), name).recipe, batch };
}

/** One epoch over the first `images` training images; images/s from the end of the first run on. */
export async function deviceTraining(
  recipe: Recipe,
  device: Device,
  images: number,
  roots: string[] = [],
) {
  const { train: full } = loadDataset(recipe.dataset, recipe.model, roots);
  const count = Math.min(images, full.count);
  const pixels = full.imageShape.reduce((a, b) => a * b, 1);
  const subset = {
    ...full,
    count,
    images: full.images.subarray(0, count * pixels),
    labels: full.labels.subarray(0, count),
  };
  const untransformed = !recipe.transform;
  const compiled: CompiledRecipe = compileRecipe(recipe, {
    target: device,
    ...(device === 'webgpu' && untransformed && { pixelScale: full.scale }),
  });
  let started = 0;
  let firstSeen = 0;
  let last: StepProgress | undefined;
  const result = await train(
    recipe,
    compiled,
    { train: subset },
    {
      epochs: 1,
      threads: 0,
      device,
      onStep: (p) => {
        if (started === 0) [started, firstSeen] = [performance.now(), p.seen];
        last = p;
      },
    },
  );
  const seconds = (performance.now() - started) / 1000;
  return { imagesPerSecond: (last!.seen - firstSeen) / seconds, compiled, result };
}

const bytes = (entries: { dtype: string; shape: (number | 'N')[] }[], batch: number) =>
  entries.reduce((n, e) => {
    const size =
      { float32: 4, int64: 8, int32: 4, uint8: 1, float64: 8, uint32: 4, bool: 1 }[e.dtype] ?? 4;
    return n + size * e.shape.reduce<number>((m, d) => m * (d === 'N' ? batch : d), 1);
  }, 0);

const kib = (n: number) =>
  `${(n / 1024).toLocaleString('en-US', { maximumFractionDigits: 1 })} KiB`;

/**
 * Bytes per training step between host and device, batch 64: a step that takes its state from
 * the host and hands it back (a plain run of the CPU's train step: what CUDA did before its
 * several-step graph), the several-step graph (state once per 8 steps), and WebGPU with the
 * state left on the device, measured over 10 steps on the adapter this machine has.
 */
export async function transferLines(): Promise<string[]> {
  const probe = probeWebgpu();
  const lines: string[] = [];
  for (const [spec, name] of [
    ['fashion-mlp.net', 'Baseline'],
    ['fashion-cnn.net', 'Baseline'],
  ]) {
    const recipe = recipeOf(spec, name, 64);
    const { train: entry } = compileRecipe(recipe).manifest.graphs;
    const hostState = bytes(entry.inputs, 64) + bytes(entry.outputs, 64);
    const state = bytes(
      entry.inputs.filter((i) => i.role.kind !== 'images'),
      64,
    );
    const looped = bytes(entry.inputs, 64) - state + (2 * state) / 8;
    let measured = `(no WebGPU adapter here: ${probe.found ? '' : probe.problem})`;
    if (probe.found) {
      const { result } = await deviceTraining(recipe, 'webgpu', 10 * 64);
      const t = result.transfers!;
      const kept = 2 * state; // the initial state up, the final state down
      measured = `${kib((t.uploaded + t.downloaded - kept) / t.steps)} on WebGPU, state on the device (${t.steps} steps measured)`;
    }
    lines.push(
      `bytes moved per step, ${recipe.model.name} (${spec} ${name}, batch 64): ${kib(hostState)} with the state ` +
        `round-tripping every step, ${kib(looped)} with 8 steps per run, ${measured}`,
    );
  }
  return lines;
}

async function main(device: Device, images: number, root?: string, batch?: number) {
  // One workload failing (a missing backbone, a device error) leaves the others to measure.
  for (const w of WORKLOADS) {
    try {
      const recipe = recipeOf(w.spec, w.recipe, batch ?? w.batch);
      const { imagesPerSecond } = await deviceTraining(recipe, device, images, root ? [root] : []);
      console.log(
        JSON.stringify({ workload: w.name, device, batch: recipe.batch, images, imagesPerSecond }),
      );
    } catch (error) {
      console.error(`${w.name} on ${device}: ${(error as Error).message}`);
      process.exitCode = 1;
    }
  }
}

if (process.argv[1]?.endsWith('gpu.js')) {
  const [device = 'webgpu', images = '2560', root, batch] = process.argv.slice(2);
  await main(device as Device, Number(images), root, batch ? Number(batch) : undefined);
}
