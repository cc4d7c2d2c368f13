// The new layers' checks: shape rules with precise errors (which argument, both numbers),
// argument validation, PyTorch state_dict names and default initialization, and the docs line
// every registry entry must have.
import { describe, expect, it } from 'vitest';
import { checkSpec, initialParameters } from '../../compiler/index.js';
import { LAYERS } from '../../compiler/layers/registry.js';
import { networkOf } from '../compiler/lowering/layers-probe.js';

/** The messages of checking `x -> body` on an input of shape `input` (batch excluded). */
function errors(body: string, input: number[]): string[] {
  const text = `network Net {\n  input x: [${input.join(', ')}]\n  x -> ${body}\n}\n`;
  return checkSpec(text, 'check.net').diagnostics.map((d) => d.message);
}

describe('the layers in the registry', () => {
  it('each have a doc line naming their torch counterpart and documented arguments', () => {
    expect(LAYERS.size).toBeGreaterThan(25);
    for (const [name, def] of LAYERS) {
      expect(def.doc, name).toMatch(/\(torch\.[\w.]+[;)]/);
      for (const arg of def.args) expect(arg.doc, `${name}.${arg.name}`).not.toBe('');
    }
  });

  it('each check on an input they take, or explain the input they need', () => {
    for (const [name, def] of LAYERS) {
      if (def.inputs === 'several') continue; // `a + b`, `concat(a, b)`: below
      const required = def.args.filter((a) => !a.default);
      const call = required.length ? `${name}(${required.map(() => '4').join(', ')})` : name;
      const found = errors(call, [4, 4, 4]);
      // Each either fits a [N, 4, 4, 4] input or says in one diagnostic what it needs.
      expect(found.length, `${call}: ${found.join('; ')}`).toBeLessThanOrEqual(1);
    }
  });

  it('Add and Concat combine values, and are no chain stages', () => {
    const net = (body: string) =>
      checkSpec(`network Net {\n  input x: [4]\n${body}\n}\n`, 'c.net').diagnostics.map(
        (d) => d.message,
      );
    expect(net('  a = x -> Linear(4, 3)\n  b = x -> Linear(4, 3)\n  a + b')).toEqual([]);
    expect(net('  a = x -> Linear(4, 3)\n  concat(a, x, dim: -1) -> Linear(7, 2)')).toEqual([]);
    expect(net('  concat(x, x, dim: 1) -> Linear(5, 2)')).toEqual([
      'Linear expects 5 input features, but its input has 8 (shape [N, 8]); `auto` infers it',
    ]);
    expect(net('  concat(x, x, depth: 1)')).toEqual(["concat has no argument 'depth'"]);
    expect(net('  x -> Add')).toEqual(['Add combines several values: write a + b']);
    expect(net('  x -> Concat(dim: 1)')).toEqual([
      'Concat combines several values: write concat(a, b)',
    ]);
  });

  it.each([
    [
      'BatchNorm1d(16)',
      [32],
      /BatchNorm1d\(num_features=16\) expects 16 channels, but its input has 32/,
    ],
    [
      'BatchNorm1d(4)',
      [4, 2, 2],
      /BatchNorm1d expects a \[N, C\] or \[N, C, L\] input, found \[N, 4, 2, 2\]/,
    ],
    ['BatchNorm2d(3)', [4, 5, 5], /expects 3 channels, but its input has 4/],
    [
      'InstanceNorm2d(3)',
      [3, 5],
      /InstanceNorm2d expects a \[N, C, H, W\] input, found \[N, 3, 5\]/,
    ],
    ['GroupNorm(3, 8)', [8, 4], /num_channels 8 is not divisible by num_groups 3/],
    [
      'GroupNorm(2, 8)',
      [6, 4],
      /GroupNorm\(num_channels=8\) expects 8 channels, but its input has 6/,
    ],
    [
      'LayerNorm(5)',
      [3, 4],
      /normalized_shape \[5\] must match the input's trailing dimensions, but the input is \[N, 3, 4\]/,
    ],
    ['LayerNorm([2, 4])', [3, 4], /normalized_shape \[2, 4\]/],
    ['LayerNorm(1.5)', [3], /normalized_shape must be a positive integer or a list/],
    [
      'Softmax(dim: 3)',
      [3, 4],
      /Softmax: dim 3 is out of range for a rank-3 input \[N, 3, 4\] \(valid: -3 to 2\)/,
    ],
    ['LogSoftmax(0)', [3], /LogSoftmax: dim 0 is the batch dimension/],
    ['GELU(approximate: "fast")', [3], /approximate must be "none" or "tanh", found "fast"/],
    ['Dropout(per: "neuron")', [3], /per must be "example" or "batch", found "neuron"/],
    ['Dropout(1.5)', [3], /'p' must be at most 1, found 1.5/],
    ['Softplus(beta: 0)', [3], /'beta' must be greater than 0/],
  ])('%s on %j is an error', (body, input, message) => {
    const found = errors(body, input);
    expect(
      found.some((m) => message.test(m)),
      found.join('\n'),
    ).toBe(true);
  });

  it('use PyTorch state_dict names, with buffers, and PyTorch default initial values', () => {
    const model = networkOf('BatchNorm1d(3) -> LayerNorm(3) -> GroupNorm(1, 3)', [3]);
    const values = initialParameters(model, 1);
    expect([...values.keys()]).toEqual([
      'batchnorm1d1.weight',
      'batchnorm1d1.bias',
      'batchnorm1d1.running_mean',
      'batchnorm1d1.running_var',
      'batchnorm1d1.num_batches_tracked',
      'layernorm1.weight',
      'layernorm1.bias',
      'groupnorm1.weight',
      'groupnorm1.bias',
    ]);
    const kinds = model.layers.flatMap((l) => l.params.map((p) => p.kind ?? 'param'));
    expect(kinds.filter((k) => k === 'buffer')).toHaveLength(3);
    expect(Array.from(values.get('batchnorm1d1.weight')!)).toEqual([1, 1, 1]);
    expect(Array.from(values.get('batchnorm1d1.running_var')!)).toEqual([1, 1, 1]);
    expect(Array.from(values.get('layernorm1.bias')!)).toEqual([0, 0, 0]);
    expect(Array.from(values.get('batchnorm1d1.num_batches_tracked')!)).toEqual([0]);
  });

  it('InstanceNorm2d has no parameters or buffers by default, as in torch', () => {
    expect(networkOf('InstanceNorm2d(3)', [3, 4, 4]).layers[0].params).toEqual([]);
  });
});
