// WebGPU in tests: onnxruntime-node's bundled WebGPU provider on SwiftShader, the CPU
// implementation of Vulkan that Debian's chromium package ships (.ci/run installs it and the
// Vulkan loader, libvulkan1). Sessions refuse to fall back to the CPU, so a test that passes
// ran its graph wholly on the device. Compiled graphs are fed and compared here too.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CompiledRecipe, Recipe, TensorEntry } from '../../compiler/index.js';
import { initialParameters } from '../../compiler/index.js';
import { createSession, ort } from '../../runtime/session.js';

/** SwiftShader's Vulkan driver manifest; the environment overrides it for other machines. */
export const SWIFTSHADER_ICD =
  process.env.NETSPEC_TEST_VK_ICD ?? '/usr/lib/chromium/vk_swiftshader_icd.json';

/** The environment that gives a process a WebGPU adapter on this machine. */
export function webgpuEnv(): Record<string, string> {
  const runtime = process.env.XDG_RUNTIME_DIR ?? mkdtempSync(join(tmpdir(), 'netspec-xdg-'));
  return { VK_ICD_FILENAMES: SWIFTSHADER_ICD, XDG_RUNTIME_DIR: runtime };
}

/** For this test process: Dawn reads these when it first looks for an adapter. */
export function useSwiftShader(): void {
  if (!existsSync(SWIFTSHADER_ICD))
    throw new Error(`${SWIFTSHADER_ICD} is missing: apt-get install chromium (see .ci/run)`);
  Object.assign(process.env, webgpuEnv());
}

/** A session that runs the whole graph on WebGPU, or fails to be created. */
export function webgpuSession(model: Uint8Array): Promise<ort.InferenceSession> {
  return createSession(model, { device: 'webgpu', threads: 1, noFallback: true });
}

export function cpuSession(model: Uint8Array): Promise<ort.InferenceSession> {
  return createSession(model, { device: 'cpu', threads: 1 });
}

/** Integers in the dtype a graph input takes (int32 on WebGPU). */
function integers(values: number[], entry: TensorEntry, dims: number[]): ort.Tensor {
  return entry.dtype === 'int64'
    ? new ort.Tensor('int64', BigInt64Array.from(values.map(BigInt)), dims)
    : new ort.Tensor('int32', Int32Array.from(values), dims);
}

export interface Batch {
  images: Float32Array;
  labels: number[];
  shape: number[];
}

/** Initial parameters and buffers (netspec's seeded init), optimizer state at zero. */
export function initialFeeds(recipe: Recipe, compiled: CompiledRecipe): Record<string, ort.Tensor> {
  const initial = initialParameters(recipe.model, recipe.seed, recipe.init);
  const feeds: Record<string, ort.Tensor> = {};
  for (const input of compiled.manifest.graphs.train.inputs) {
    const dims = input.shape as number[];
    const { role } = input;
    if (role.kind === 'param' || role.kind === 'buffer')
      feeds[input.name] = new ort.Tensor(
        'float32',
        initial.get(role.kind === 'param' ? role.param : role.buffer)!,
        dims,
      );
    if (role.kind === 'state') {
      const size = dims.reduce((a, b) => a * b, 1);
      feeds[input.name] = new ort.Tensor('float32', new Float32Array(size), dims);
    }
  }
  return feeds;
}

/**
 * Runs `steps` train steps on `session` from the initial state, each step's `.next` outputs fed
 * to the next; returns every step's outputs.
 */
export async function trainSteps(
  session: ort.InferenceSession,
  recipe: Recipe,
  compiled: CompiledRecipe,
  batches: Batch[],
): Promise<Record<string, ort.Tensor>[]> {
  const { inputs } = compiled.manifest.graphs.train;
  let state = initialFeeds(recipe, compiled);
  const outputs = [];
  for (const [step, batch] of batches.entries()) {
    const feeds: Record<string, ort.Tensor> = { ...state };
    for (const input of inputs) {
      const { kind } = input.role;
      if (kind === 'images')
        feeds[input.name] = new ort.Tensor('float32', batch.images, [
          batch.labels.length,
          ...batch.shape,
        ]);
      if (kind === 'labels')
        feeds[input.name] = integers(batch.labels, input, [batch.labels.length]);
      if (kind === 'step') feeds[input.name] = integers([step], input, []);
      if (kind === 'lr')
        feeds[input.name] = new ort.Tensor(
          'float32',
          Float32Array.of(compiled.manifest.learningRate),
          [],
        );
    }
    const out = await session.run(feeds);
    outputs.push(out);
    const next: Record<string, ort.Tensor> = {};
    for (const name of Object.keys(state)) next[name] = out[`${name}.next`];
    state = next;
  }
  return outputs;
}

const ABSOLUTE = 1e-5;

/**
 * ‖actual − expected‖ / ‖expected‖ (2-norms over the whole output): a few elements that an
 * ill-conditioned update amplifies (Adam's and centered RMSprop's first step divide tiny
 * gradients by their own size) do not decide it, a wrong kernel does.
 */
export function relativeDifference(actual: ort.Tensor, expected: ort.Tensor): number {
  const a = actual.data as Float32Array;
  const b = expected.data as Float32Array;
  if (a.length !== b.length) return Infinity;
  let diff = 0;
  let norm = 0;
  let largest = 0;
  for (let i = 0; i < b.length; i++) {
    diff += (a[i] - b[i]) ** 2;
    norm += b[i] ** 2;
    largest = Math.max(largest, Math.abs(a[i] - b[i]));
  }
  if (Number.isNaN(diff)) return Infinity;
  // A tensor that is zero but for rounding (the gradient of a bias before a batch norm, which
  // cancels it) has no scale of its own: there the difference is absolute.
  return largest <= ABSOLUTE ? 0 : Math.sqrt(diff / norm);
}

/** Every output whose relative difference exceeds `tolerance`, with its difference. */
export function outputsBeyond(
  actual: Record<string, ort.Tensor>,
  expected: Record<string, ort.Tensor>,
  tolerance: number,
): Record<string, number> {
  const beyond: Record<string, number> = {};
  for (const name of Object.keys(expected)) {
    if (expected[name].type !== 'float32') continue;
    const d = relativeDifference(actual[name], expected[name]);
    if (!(d <= tolerance)) beyond[name] = d;
  }
  return beyond;
}
