// onnxruntime-node sessions for compiled graphs, on the CPU or (where onnxruntime's CUDA
// provider is installed) an NVIDIA GPU.
import { availableParallelism } from 'node:os';
import ort from 'onnxruntime-node';
import { cudaInstallCommand } from './device-error.js';
import { CODES } from '../compiler/index.js';
import { UserError } from './errors.js';

export type Device = 'cpu' | 'cuda';

export interface SessionOptions {
  device: Device;
  /** Intra-op threads; 0 means one per core the process may use. */
  threads: number;
}

/**
 * 0 is not passed on as onnxruntime's "default", which can run one thread on a machine with
 * several cores (docs/decisions/0008-threads.md).
 */
function intraOpThreads(threads: number): number {
  return threads > 0 ? threads : availableParallelism();
}

export async function createSession(
  model: Uint8Array,
  options: SessionOptions,
): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(model, {
      executionProviders: [options.device],
      intraOpNumThreads: intraOpThreads(options.threads),
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      // Warnings such as unused frozen buffers are not the user's concern.
      logSeverityLevel: 3,
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
    throw e;
  }
}

export { ort };
