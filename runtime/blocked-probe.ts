// Which convolution lowering this CPU gets: onnxruntime's blocked (NCHWc) kernel where a probe
// at startup shows that it runs and computes what the standard Conv does, at the block size
// this CPU uses (16 floats with AVX-512, 8 with AVX2); standard ops otherwise — a CPU without
// AVX2, an onnxruntime build without the kernel — silently and correctly. NETSPEC_CONV=standard
// chooses standard ops (for comparisons).
import type { ConvLowering } from '../compiler/index.js';
import { BLOCK_SIZES, STANDARD_CONV, blockedConvProbe } from '../compiler/index.js';
import type { Device } from './session.js';
import { createSession, ort } from './session.js';

let probed: Promise<ConvLowering> | undefined;

/** The CPU's convolution lowering, probed once per process. */
export function cpuConvLowering(): Promise<ConvLowering> {
  if (process.env.NETSPEC_CONV === 'standard') return Promise.resolve(STANDARD_CONV);
  probed ??= probeConvLowering();
  return probed;
}

/** The convolution lowering for graphs that run on `device`: standard ops but on the CPU. */
export function convLowering(device: Device): Promise<ConvLowering> {
  return device === 'cpu' ? cpuConvLowering() : Promise.resolve(STANDARD_CONV);
}

/** The largest of `blocks` at which the probe's blocked convolutions work, or standard ops. */
export async function probeConvLowering(blocks = BLOCK_SIZES): Promise<ConvLowering> {
  for (const block of [...blocks].sort((a, b) => b - a)) {
    if (await blockedWorks(block)) return { block };
  }
  return STANDARD_CONV;
}

/** Whether the probe's blocked convolutions agree with the standard ones at `block`. */
export async function blockedWorks(block: number): Promise<boolean> {
  try {
    const probe = blockedConvProbe(block);
    const session = await createSession(probe.onnx, { device: 'cpu', threads: 1 });
    const feeds: Record<string, ort.Tensor> = {};
    for (const [name, shape] of Object.entries(probe.inputs)) {
      const size = shape.reduce((n, d) => n * d, 1);
      const data = Float32Array.from({ length: size }, (_, i) => Math.sin(i * 0.37 + shape[1]));
      feeds[name] = new ort.Tensor('float32', data, shape);
    }
    const out = await session.run(feeds);
    await session.release();
    return close(out.blocked, out.standard) && close(out.blocked1, out.standard1);
  } catch {
    return false;
  }
}

function close(a: ort.Tensor, b: ort.Tensor): boolean {
  const x = a.data as Float32Array;
  const y = b.data as Float32Array;
  if (x.length !== y.length) return false;
  return x.every((v, i) => Math.abs(v - y[i]) <= 1e-4 * (1 + Math.abs(y[i])));
}
