// `netspec devices` says which convolution lowering CPU training uses: the blocked kernel at
// the block size this processor's flags call for, or standard ops when asked or when the probe
// finds none.
import { describe, expect, it } from 'vitest';
import { expectedConvBlock } from '../../helpers/machine.js';
import { netspec } from '../../helpers/spec.js';

describe('netspec devices', () => {
  it("names the CPU's convolution lowering", () => {
    const block = expectedConvBlock();
    const result = netspec(['devices']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^cpu {5}onnxruntime-node .+, \d+ cores; /);
    expect(result.stdout).toContain(
      block > 0
        ? `blocked NCHWc kernel (block ${block})`
        : 'blocked kernel did not pass its probe here',
    );
  });

  it('says so when standard ops are forced', () => {
    const result = netspec(['devices'], undefined, { ...process.env, NETSPEC_CONV: 'standard' });
    expect(result.stdout).toContain('standard ONNX convolutions (NETSPEC_CONV=standard)');
  });
});
