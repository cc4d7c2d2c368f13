// onnxruntime-node sessions for compiled graphs, on the CPU or (where onnxruntime's CUDA
// provider is installed) an NVIDIA GPU.
import ort from 'onnxruntime-node';

export type Device = 'cpu' | 'cuda';

export interface SessionOptions {
  device: Device;
  /** Intra-op threads; 0 lets onnxruntime choose (one per core). */
  threads: number;
}

export class DeviceError extends Error {}

export async function createSession(
  model: Uint8Array,
  options: SessionOptions,
): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(model, {
      executionProviders: [options.device],
      intraOpNumThreads: options.threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      // Warnings such as unused frozen buffers are not the user's concern.
      logSeverityLevel: 3,
    });
  } catch (e) {
    const message = (e as Error).message;
    if (options.device === 'cuda' && /providers_shared|cuda/i.test(message)) {
      throw new DeviceError(
        "onnxruntime's CUDA provider is not installed. Reinstall with: npm install --onnxruntime-node-install=cuda12 " +
          `(see README, "CUDA"). onnxruntime said: ${message.split('\n')[0]}`,
      );
    }
    throw e;
  }
}

export { ort };
