// What the checker says about convolution and pooling layers: shapes inferred as PyTorch does,
// and mistakes reported on the argument at fault.
import { describe, expect, it } from 'vitest';
import { checkSpec } from '../../compiler/index.js';

function check(input: string, chain: string) {
  const text = `network Net {\n  input x: ${input}\n  x -> ${chain}\n}\n`;
  const { spec, diagnostics } = checkSpec(text, 'net.net');
  const model = spec.networks?.get('Net');
  const blamed = diagnostics.map((d) => {
    const line = text.split('\n')[d.span.start.line - 1];
    return line.slice(d.span.start.column - 1, d.span.end.column - 1);
  });
  return { model, messages: diagnostics.map((d) => d.message), blamed };
}

describe('convolution and pooling layers in the checker', () => {
  it('infers the seed CNN shapes, with `auto` input channels', () => {
    const { messages, model } = check(
      '[1, 28, 28]',
      'Conv2d(auto, 32, 3) -> ReLU -> Conv2d(32, 64, 3) -> MaxPool2d(2) -> Flatten -> Linear(auto, 10)',
    );
    expect(messages).toEqual([]);
    expect(model?.layers[3].outputShape).toEqual(['N', 64, 12, 12]);
  });

  it('blames in_channels when the input has other channels', () => {
    const { messages, blamed } = check('[1, 28, 28]', 'Conv2d(3, 8, 3)');
    expect(messages).toEqual([
      'Conv2d expects 3 input channels, but its input has 1 (shape [N, 1, 28, 28]); `auto` infers it',
    ]);
    expect(blamed).toEqual(['3']);
  });

  it('rejects a kernel larger than the padded input, blaming kernel_size', () => {
    const { messages, blamed } = check('[1, 4, 4]', 'Conv2d(1, 2, 5, padding: 0)');
    expect(messages).toEqual(['Conv2d: its 5×5 kernel is larger than the padded input 4×4']);
    expect(blamed).toEqual(['5']);
    const dilated = check('[1, 4, 6]', 'Conv2d(1, 2, 3, dilation: 2)');
    expect(dilated.messages[0]).toBe(
      'Conv2d: its 3×3 kernel (dilated to 5×5) is larger than the padded input 4×6',
    );
  });

  it('rejects zero kernels and strides through argument ranges', () => {
    expect(check('[1, 8, 8]', 'Conv2d(1, 2, 0)').messages).toEqual([
      "Conv2d: 'kernel_size' must be at least 1, found 0",
    ]);
    expect(check('[1, 8, 8]', 'MaxPool2d(2, stride: [1, 0])').messages).toEqual([
      "MaxPool2d: 'stride' must be at least 1, found 0",
    ]);
    expect(check('[1, 8, 8]', 'Conv2d(1, 2, [3, 3, 3])').messages).toEqual([
      "Conv2d: 'kernel_size' must be an integer or a list of two integers, found a list",
    ]);
  });

  it('checks groups, padding and adaptive sizes', () => {
    expect(check('[6, 8, 8]', 'Conv2d(6, 4, 3, groups: 4)').messages).toEqual([
      'Conv2d: in_channels (6) must be divisible by groups (4)',
    ]);
    const bad = check('[1, 8, 8]', 'Conv2d(1, 2, 3, padding: "full")');
    expect(bad.blamed).toEqual(['"full"']);
    expect(check('[1, 8, 8]', 'MaxPool2d(2, padding: 2)').messages[0]).toMatch(
      /padding 2×2 must be at most half the kernel 2×2/,
    );
    expect(check('[1, 7, 8]', 'AdaptiveAvgPool2d(2)').messages[0]).toBe(
      'AdaptiveAvgPool2d: output size 2×2 does not divide the input 7×8; netspec supports evenly dividing sizes only',
    );
    expect(check('[2, 8]', 'MaxPool2d(2)').messages[0]).toBe(
      'MaxPool2d expects a [N, C, H, W] input, found [N, 2, 8]',
    );
  });

  it('computes ceil_mode sizes as PyTorch does (the last window starts inside the input)', () => {
    // Sizes printed by torch.nn.MaxPool2d on zeros of these shapes.
    const sizes = (input: string, pool: string) => check(input, pool).model?.layers[0].outputShape;
    expect(sizes('[1, 5, 6]', 'MaxPool2d(2, stride: 2, padding: 1, ceil_mode: true)')).toEqual([
      'N',
      1,
      3,
      4,
    ]);
    // ⌈(4 + 2 − 2) / 3⌉ + 1 = 3, but a third window would start at 6 − 1 ≥ 4: PyTorch gives 2.
    expect(sizes('[1, 4, 4]', 'MaxPool2d(2, stride: 3, padding: 1, ceil_mode: true)')).toEqual([
      'N',
      1,
      2,
      2,
    ]);
  });
});
