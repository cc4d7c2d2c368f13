// Which devices this install can train on, and why one cannot: the execution providers
// onnxruntime-node has, whether its WebGPU provider finds an adapter (Dawn, the WebGPU
// implementation onnxruntime-node bundles, on the system's Vulkan driver) and CUDA.
// `--device auto` picks the GPU where there is one.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import { CODES, copyModel } from '../compiler/index.js';
import { cudaInstallCommand } from './device-error.js';
import { UserError } from './errors.js';

export type Device = 'cpu' | 'cuda' | 'webgpu';
export type DeviceChoice = Device | 'auto';
export const DEVICE_CHOICES: readonly DeviceChoice[] = ['cpu', 'webgpu', 'cuda', 'auto'];

/** What the optional `webgpu` package (Dawn for Node) says about the adapter, when installed. */
export interface Adapter {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A software adapter (SwiftShader). */
  fallback: boolean;
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
}

/** An adapter was found (described where the `webgpu` package is installed), or why not. */
export type AdapterProbe = { found: true; adapter?: Adapter } | { found: false; problem: string };

const SWIFTSHADER_HINT =
  'or, to emulate a GPU on the CPU (slowly), apt-get install chromium and set ' +
  'VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json';

/** Dawn's messages (on stderr) for the usual reasons, and what to do about each. */
const REASONS: [RegExp, string][] = [
  [
    /libvulkan\.so\.1: cannot open/,
    'the Vulkan loader libvulkan.so.1 is not installed: apt-get install libvulkan1',
  ],
  [
    /Found no drivers|VK_ERROR_INCOMPATIBLE_DRIVER|ERROR_INITIALIZATION_FAILED|No supported adapters/,
    "no Vulkan driver was found: install the GPU's Vulkan driver (NVIDIA: the driver's Vulkan " +
      `ICD; AMD, Intel: mesa-vulkan-drivers), ${SWIFTSHADER_HINT}`,
  ],
];

/**
 * The probe, run in a child process because Dawn reports why it found no adapter on stderr,
 * from native code, into the output of whatever process asks: onnxruntime creates a WebGPU
 * session of a one-node graph (what training needs), and where the optional `webgpu` package
 * is installed, it describes the adapter.
 */
function probeSource(ortUrl: string, model: Uint8Array): string {
  return `
    const { default: ort } = await import(${JSON.stringify(ortUrl)});
    const model = Buffer.from(${JSON.stringify(Buffer.from(model).toString('base64'))}, 'base64');
    await ort.InferenceSession.create(model, { executionProviders: ['webgpu'], logSeverityLevel: 3 });
    let adapter;
    try {
      const { create, globals } = await import('webgpu');
      Object.assign(globalThis, globals);
      const found = await create([]).requestAdapter();
      const { vendor, architecture, device, description, isFallbackAdapter } = found.info;
      const { maxBufferSize, maxStorageBufferBindingSize } = found.limits;
      adapter = { vendor, architecture, device, description, fallback: isFallbackAdapter,
        maxBufferSize, maxStorageBufferBindingSize };
    } catch {}
    process.stdout.write(JSON.stringify({ found: true, adapter }));
    process.exit(0);`;
}

/** Whether onnxruntime's WebGPU provider finds an adapter on this machine, or why it does not. */
export function probeWebgpu(): AdapterProbe {
  const model = copyModel([{ name: 'x', dtype: 'float32', shape: [1] }]);
  const child = spawnSync(
    process.execPath,
    ['--input-type=module', '-e', probeSource(import.meta.resolve('onnxruntime-node'), model)],
    // The working folder lets the child import an optional `webgpu` installed beside netspec.
    { encoding: 'utf8', timeout: 60_000, cwd: packageRoot() },
  );
  try {
    const parsed = JSON.parse(child.stdout) as AdapterProbe;
    if (parsed.found) return parsed;
  } catch {
    // No output: the session was refused; stderr says why.
  }
  const said = `${child.stderr ?? ''}`;
  const known = REASONS.find(([pattern]) => pattern.test(said));
  if (known) return { found: false, problem: known[1] };
  const first = said.split('\n').find((line) => /\S/.test(line) && !/^\s+at /.test(line));
  return {
    found: false,
    problem:
      `onnxruntime found no WebGPU adapter${first ? ` (${first.trim()})` : ''}: install the ` +
      `GPU's Vulkan driver, ${SWIFTSHADER_HINT}`,
  };
}

/** The folder whose node_modules holds onnxruntime-node, and an optional `webgpu` beside it. */
function packageRoot(): string {
  const main = fileURLToPath(import.meta.resolve('onnxruntime-node'));
  return join(dirname(main), '..', '..', '..');
}

/** One line for an adapter: `google swiftshader (SwiftShader driver 5.0.0, software)`. */
export function adapterLine(a: Adapter): string {
  const about = [a.description || a.device, a.fallback ? 'software' : ''].filter(Boolean);
  return (
    `${a.vendor || 'unknown vendor'} ${a.architecture || ''}`.trim() + ` (${about.join(', ')})`
  );
}

/** Whether this onnxruntime-node has `name`'s provider, and whether it came in the package. */
export function provider(name: string): { available: boolean; bundled: boolean } {
  const found = ort.listSupportedBackends().find((b) => b.name === name);
  return { available: found !== undefined, bundled: found?.bundled ?? false };
}

/**
 * Why `--device cuda` cannot work, when its provider library is missing: npm ci skips
 * onnxruntime-node's download of it (.npmrc), which only a machine that reaches its host can do.
 */
export function cudaProblem(): string | undefined {
  if (process.platform !== 'linux') return undefined; // the session's own error says it there
  const binding = join(
    dirname(fileURLToPath(import.meta.resolve('onnxruntime-node'))),
    '..',
    'bin',
    'napi-v6',
    process.platform,
    process.arch,
  );
  const library = join(binding, 'libonnxruntime_providers_cuda.so');
  if (existsSync(library)) return undefined;
  return `onnxruntime's CUDA provider is not installed: ${cudaInstallCommand()} (README, "GPUs")`;
}

/**
 * The device to run on: `auto` is WebGPU where onnxruntime finds an adapter, else the CPU; an
 * explicit `webgpu` or `cuda` that cannot work is a UserError (NS4006) naming why.
 */
export function resolveDevice(choice: DeviceChoice): Device {
  if (choice === 'cpu') return choice;
  if (choice === 'cuda') {
    const problem = cudaProblem();
    if (problem) throw new UserError(CODES.device, `--device cuda: ${problem}`);
    return choice;
  }
  const probe = probeWebgpu();
  if (probe.found) return 'webgpu';
  if (choice === 'auto') return 'cpu';
  throw new UserError(CODES.device, `--device webgpu: no WebGPU adapter: ${probe.problem}`);
}
