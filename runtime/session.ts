// onnxruntime-node sessions for compiled graphs: on the CPU, on a GPU through WebGPU (bundled
// with onnxruntime-node), or on an NVIDIA GPU through CUDA where its provider is installed.
import { availableParallelism } from 'node:os';
import ort from 'onnxruntime-node';
import { cudaInstallCommand } from './device-error.js';
import { CODES } from '../compiler/index.js';
import { UserError } from './errors.js';

import type { Device } from './device.js';

export type { Device } from './device.js';

export interface SessionOptions {
  device: Device;
  /** Intra-op threads; 0 means one per core the process may use. */
  threads: number;
  /** WebGPU: outputs left on the device, to be fed back as inputs with no copy to the host. */
  onDevice?: readonly string[];
  /** Fail rather than run on the CPU the nodes the device lacks (onnxruntime's fallback). */
  noFallback?: boolean;
}

/**
 * 0 is not passed on as onnxruntime's "default", which can run one thread on a machine with
 * several cores (docs/decisions/0008-threads.md).
 */
function intraOpThreads(threads: number): number {
  return threads > 0 ? threads : availableParallelism();
}

/**
 * WebGPU keeps NCHW: with its preferred NHWC, onnxruntime permutes the result of every Shape of
 * a transposed tensor with a Gather on int64, which only the CPU runs (the training graphs read
 * the batch size that way), so steps would leave the device.
 */
function providers(device: Device): ort.InferenceSession.SessionOptions['executionProviders'] {
  if (device === 'webgpu') return [{ name: 'webgpu', preferredLayout: 'NCHW' }];
  return [device];
}

// onnxruntime's own log would print a device's failures (a refused allocation) on stderr beside
// netspec's one-line error; every failure also comes back as an exception.
ort.env.logLevel = 'fatal';

export async function createSession(
  model: Uint8Array,
  options: SessionOptions,
): Promise<ort.InferenceSession> {
  const onDevice = options.device === 'webgpu' ? (options.onDevice ?? []) : [];
  try {
    return await ort.InferenceSession.create(model, {
      executionProviders: providers(options.device),
      intraOpNumThreads: intraOpThreads(options.threads),
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      // Warnings such as unused frozen buffers are not the user's concern.
      logSeverityLevel: 3,
      ...(onDevice.length > 0 && {
        preferredOutputLocation: Object.fromEntries(onDevice.map((n) => [n, 'gpu-buffer'])),
      }),
      ...(options.noFallback && { extra: { session: { disable_cpu_ep_fallback: '1' } } }),
    });
  } catch (e) {
    const message = (e as Error).message;
    if (options.device === 'cuda' && /providers_shared|cuda/i.test(message)) {
      throw new UserError(
        CODES.device,
        `onnxruntime's CUDA provider is not installed. Install it with: ${cudaInstallCommand()} ` +
          `(see README, "CUDA"). onnxruntime said: ${message.split('\n')[0]}`,
      );
    }
    if (options.device === 'webgpu' && /WebGPU adapter/.test(message))
      throw new UserError(
        CODES.device,
        '--device webgpu: onnxruntime found no WebGPU adapter (netspec devices says why)',
      );
    if (/fallback to CPU EP has been explicitly disabled/.test(message))
      throw new UserError(
        CODES.device,
        `--device ${options.device}: the graph has nodes only the CPU runs (see the compile ` +
          'warnings), and falling back to the CPU was turned off (--no-fallback)',
      );
    throw e;
  }
}

export { ort };
