// `netspec devices`: what each device this machine offers would run. For the CPU: its model and
// cores, and which convolution lowering training compiles for it (the blocked-kernel probe).
import { cpus } from 'node:os';
import { cpuConvLowering } from '../blocked-probe.js';

/** The CPU's line: model, cores, and the convolution kernel its training steps use. */
export async function cpuDeviceLine(): Promise<string> {
  const [first] = cpus();
  const { block } = await cpuConvLowering();
  const conv =
    block > 0
      ? `trainable convolutions on onnxruntime's blocked NCHWc kernel (block ${block})`
      : process.env.NETSPEC_CONV === 'standard'
        ? 'standard ONNX convolutions (NETSPEC_CONV=standard)'
        : "standard ONNX convolutions (onnxruntime's blocked kernel did not pass its probe here)";
  return `cpu  ${first?.model.trim() ?? 'unknown'}, ${cpus().length} cores; ${conv}`;
}

export async function devicesCommand(): Promise<number> {
  process.stdout.write(`${await cpuDeviceLine()}\n`);
  return 0;
}
