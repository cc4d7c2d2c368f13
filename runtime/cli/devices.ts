// `netspec devices`: the devices this install can train on — the CPU (and which convolution
// kernel its training steps use), a GPU through WebGPU (bundled with onnxruntime-node) and
// through CUDA — and for each missing one, how to get it.
import { availableParallelism } from 'node:os';
import { cpuConvLowering } from '../blocked-probe.js';
import type { Adapter } from '../device.js';
import { adapterLine, cudaProblem, probeWebgpu, provider } from '../device.js';
import { ort } from '../session.js';

const GIB = 1024 ** 3;

function adapterDetails(adapter: Adapter | undefined): string {
  if (!adapter) return 'an adapter was found (npm install webgpu, and this says which)';
  const limits =
    `largest buffer ${(adapter.maxBufferSize / GIB).toFixed(2)} GiB, ` +
    `largest storage binding ${(adapter.maxStorageBufferBindingSize / GIB).toFixed(2)} GiB`;
  return `${adapterLine(adapter)}; ${limits}`;
}

/** How CPU training lowers trainable convolutions here (the blocked-kernel probe). */
function convLine(block: number): string {
  if (block > 0)
    return `trainable convolutions on onnxruntime's blocked NCHWc kernel (block ${block})`;
  return process.env.NETSPEC_CONV === 'standard'
    ? 'standard ONNX convolutions (NETSPEC_CONV=standard)'
    : "standard ONNX convolutions (onnxruntime's blocked kernel did not pass its probe here)";
}

export async function devicesCommand(options: { json?: boolean }): Promise<number> {
  const { block } = await cpuConvLowering();
  const webgpu = provider('webgpu').available
    ? probeWebgpu()
    : {
        found: false as const,
        problem:
          'this onnxruntime-node has no WebGPU provider (linux-x64, win32 and darwin builds do)',
      };
  const cuda = provider('cuda').available
    ? cudaProblem()
    : 'this onnxruntime-node has no CUDA provider';
  const found = {
    cpu: {
      onnxruntime: ort.env.versions.common,
      cores: availableParallelism(),
      convBlock: block,
    },
    webgpu,
    cuda: cuda ? { problem: cuda } : { available: true },
  };
  if (options.json) {
    process.stdout.write(JSON.stringify(found, null, 2) + '\n');
    return 0;
  }
  const lines = [
    `cpu     onnxruntime-node ${found.cpu.onnxruntime}, ${found.cpu.cores} cores; ${convLine(block)}`,
    webgpu.found
      ? `webgpu  ${adapterDetails(webgpu.adapter)}`
      : `webgpu  not available: ${webgpu.problem}`,
    cuda
      ? `cuda    not available: ${cuda}`
      : 'cuda    provider installed (needs an NVIDIA GPU with CUDA 12 at run time)',
  ];
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}
