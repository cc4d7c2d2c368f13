// Convolution and pooling gradients of the float32 train step against PyTorch's float64
// autograd at the same point. (onnxruntime's CPU provider has no float64 Conv, ConvTranspose
// or AveragePool kernels, so the float64 finite-difference check of gradients.test.ts cannot
// run these graphs; double-precision autograd is the reference instead.) Inputs are sized so
// that every dX formulation runs: ConvTranspose, the flipped Conv (Gather) and, for layers
// with at most 16 output positions, Col2Im.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { compileInference, initialParameters } from '../../../compiler/index.js';
import { PYTHON } from '../../helpers/spec.js';
import type { TorchLayer } from '../lowering/conv-steps.js';
import { compileCnn, randomBatches, runSteps, torchOracle } from '../lowering/conv-steps.js';

const CASES: [string, number[], TorchLayer[]][] = [
  [
    'stride 2 with padding, overlapping max pool, dilation, rectangular kernel',
    [2, 15, 15],
    [
      ['Conv2d', [2, 3, 3], { stride: 2, padding: 1 }],
      ['MaxPool2d', [2], { stride: 1 }],
      // 3 → 3 channels: the input gradient is the flipped-kernel Conv, dilated.
      ['Conv2d', [3, 3, [2, 3]], { dilation: [2, 1] }],
      ['ReLU', [], {}],
      ['Flatten', [], {}],
      ['Linear', [3 * 5 * 5, 3], {}],
    ],
  ],
  [
    'groups, stride 1 with padding, average pool with ceil_mode and padding',
    [2, 7, 8],
    [
      ['Conv2d', [2, 4, 3], { padding: 1 }],
      ['Conv2d', [4, 6, 3], { groups: 2, padding: [1, 2], bias: false }],
      ['AvgPool2d', [3], { stride: 2, padding: 1, ceil_mode: true }],
      ['Flatten', [], {}],
      ['Linear', [6 * 4 * 6, 3], {}],
    ],
  ],
  [
    'stride 2 leaving rows unread, max pool ceil_mode, count_include_pad false, global pool',
    [1, 28, 31],
    [
      ['Conv2d', [1, 3, 2], { stride: 3 }],
      ['Conv2d', [3, 5, 2], { stride: 2, padding: 1, dilation: 2 }],
      ['MaxPool2d', [2], { ceil_mode: true }],
      ['AvgPool2d', [2], { stride: 1, padding: 1, count_include_pad: false }],
      ['AdaptiveAvgPool2d', [1], {}],
      ['Flatten', [], {}],
      ['Linear', [5, 3], {}],
    ],
  ],
  [
    'odd sizes, padding "same" with an even kernel, adaptive pool to 2×3',
    [3, 6, 9],
    [
      ['Conv2d', [3, 4, 4], { padding: 'same' }],
      ['ReLU', [], {}],
      ['Conv2d', [4, 4, 3], { padding: 'same', groups: 4 }],
      ['AdaptiveAvgPool2d', [[2, 3]], {}],
      ['Flatten', [], {}],
      ['Linear', [24, 3], {}],
    ],
  ],
  [
    'stride 3 skipping the last rows (output_padding), 1×1 kernel padded beyond its reach',
    [2, 31, 31],
    [
      ['Conv2d', [2, 3, 3], { stride: 2 }],
      ['Conv2d', [3, 4, 2], { stride: 3 }],
      ['Conv2d', [4, 2, 1], { padding: 1 }],
      ['Flatten', [], {}],
      ['Linear', [2 * 7 * 7, 3], {}],
    ],
  ],
  [
    'few output positions (dW as one GEMM over batch × positions, dX by Col2Im), grouped',
    [8, 8, 8],
    [
      ['Conv2d', [8, 16, 3], { stride: 2, padding: 1 }],
      ['ReLU', [], {}],
      ['Conv2d', [16, 32, 3], { groups: 2, stride: 2, padding: 1 }],
      ['Conv2d', [32, 12, 2], { groups: 4 }],
      ['Flatten', [], {}],
      ['Linear', [12, 3], {}],
    ],
  ],
  [
    'max pools after ReLU, whose zeros tie (the gradient goes to one maximum, as in PyTorch)',
    [2, 12, 12],
    [
      ['Conv2d', [2, 4, 3], { padding: 1 }],
      ['ReLU', [], {}],
      ['MaxPool2d', [2], {}],
      ['Conv2d', [4, 4, 3], { padding: 1 }],
      ['ReLU', [], {}],
      ['MaxPool2d', [3], {}],
      ['Flatten', [], {}],
      ['Linear', [16, 3], {}],
    ],
  ],
  [
    'tiny maps as one dense GEMM (3×3 on 2×2 stride 2, 3×3 on 1×1)',
    [4, 2, 2],
    [
      ['Conv2d', [4, 6, 3], { stride: 2, padding: 1 }],
      ['ReLU', [], {}],
      ['Conv2d', [6, 5, 3], { padding: 1 }],
      ['Flatten', [], {}],
      ['Linear', [5, 3], {}],
    ],
  ],
  [
    'kernels cropped to the taps that reach a tiny input (3×3 padding 1 on 1×3: one row)',
    [4, 1, 3],
    [
      ['Conv2d', [4, 6, 3], { padding: 1 }],
      ['ReLU', [], {}],
      ['Conv2d', [6, 5, 3], { padding: 1, bias: false }],
      ['Flatten', [], {}],
      ['Linear', [5 * 3, 3], {}],
    ],
  ],
];

describe('convolution and pooling gradients', () => {
  it.each(CASES)('%s', async (_name, input, layers) => {
    const { recipe, compiled } = compileCnn(input, layers, 'SGD(lr: 0.1)', true);
    const [batch] = randomBatches(input, 3, [5]);
    const ours = await runSteps(recipe, compiled, [batch]);
    const torch = torchOracle<{ loss: number; grads: number[][] }>({
      mode: 'grads',
      layers,
      params: ours.initial,
      batches: [batch],
    });
    expect(Math.abs(ours.losses[0] - torch.loss)).toBeLessThan(1e-5);
    ours.names.forEach((name, p) => {
      const grad = Array.from(ours.outputs[0][`${name}.grad`].data as Float32Array);
      const reference = torch.grads[p];
      const scale = Math.max(...reference.map(Math.abs));
      expect(scale, `${name} has a gradient`).toBeGreaterThan(1e-4);
      const worst = Math.max(...grad.map((g, i) => Math.abs(g - reference[i])));
      expect(worst / scale, name).toBeLessThan(2e-5);
    });
  });

  it('exercises every input-gradient formulation', () => {
    const opsOf = (name: string) => {
      const [, input, layers] = CASES.find(([caseName]) => caseName.startsWith(name))!;
      return new Set(onnxOps(compileCnn(input, layers, 'SGD(lr: 0.1)').compiled.train));
    };
    const all = new Set(CASES.flatMap(([name]) => [...opsOf(name)]));
    for (const op of ['ConvTranspose', 'Gather', 'Col2Im']) expect(all).toContain(op);
    // Cropping selects the taps of trainable weights by a Gemm ahead of the Conv.
    const cropped = opsOf('kernels cropped');
    for (const op of ['conv2d2/Gemm', 'conv2d2/Conv']) expect(cropped).toContain(op);
    // A tiny map is one Gemm, its weights placed into the dense matrix by a Gemm and Transpose.
    const dense = opsOf('tiny maps');
    for (const op of ['conv2d2/Gemm', 'conv2d2/Transpose']) expect(dense).toContain(op);
    expect(dense).not.toContain('conv2d2/Conv');
  });

  it('places max-pool gradients by MaxUnpool where windows are disjoint, else by ScatterElements', () => {
    const opsOf = (name: string) => {
      const [, input, layers] = CASES.find(([caseName]) => caseName.startsWith(name))!;
      return onnxOps(compileCnn(input, layers, 'SGD(lr: 0.1)').compiled.train);
    };
    const count = (ops: string[], op: string) => ops.filter((o) => o === op).length;
    const disjoint = opsOf('max pools after ReLU'); // 2×2 and 3×3, stride = kernel
    expect([count(disjoint, 'MaxUnpool'), count(disjoint, 'ScatterElements')]).toEqual([2, 0]);
    for (const name of ['stride 2 with padding, overlapping', 'stride 2 leaving rows unread']) {
      const ops = opsOf(name); // stride 1 overlaps; ceil_mode reaches past the input
      expect([count(ops, 'MaxUnpool'), count(ops, 'ScatterElements')], name).toEqual([0, 1]);
    }
  });

  it('pools before the ReLU that feeds a max pool in the train step; the export keeps the order', () => {
    const [, input, layers] = CASES.find(([name]) => name.startsWith('max pools after ReLU'))!;
    const { recipe, compiled } = compileCnn(input, layers, 'SGD(lr: 0.1)');
    const forward = (ops: string[]) => ops.filter((op) => op === 'Relu' || op === 'MaxPool');
    expect(forward(onnxOps(compiled.train))).toEqual(['MaxPool', 'Relu', 'MaxPool', 'Relu']);
    const exported = compileInference(recipe.model, initialParameters(recipe.model, 1));
    expect(forward(onnxOps(exported))).toEqual(['Relu', 'MaxPool', 'Relu', 'MaxPool']);
  });

  it("builds no gradient for the first layer's input (it depends on no parameter)", () => {
    const layers: TorchLayer[] = [
      ['Conv2d', [1, 2, 3], { stride: 2 }],
      ['Flatten', [], {}],
      ['Linear', [2 * 3 * 3, 3], {}],
    ];
    const { compiled } = compileCnn([1, 7, 7], layers, 'SGD(lr: 0.1)');
    const ops = onnxOps(compiled.train);
    // The forward Conv and the im2col Conv of the weight gradient; no input gradient at all.
    expect(ops.filter((op) => op === 'Conv')).toHaveLength(2);
    expect(ops).not.toContain('ConvTranspose');
  });
});

/**
 * The op types of a serialized model, read back with Debian's python3-onnx, then each node's
 * name without its counter (`conv2d2/Gemm`, `conv2d2/grad/Col2Im`), which tells where it came from.
 */
function onnxOps(model: Uint8Array): string[] {
  const script =
    "import onnx,sys,json,re; m=onnx.load_from_string(sys.stdin.buffer.read()); print(json.dumps([n.op_type for n in m.graph.node] + [re.sub(r'_\\d+$', '', n.name) for n in m.graph.node]))";
  const result = spawnSync(PYTHON, ['-c', script], { input: model, encoding: 'utf8' });
  return JSON.parse(result.stdout) as string[];
}
