// specs/resnet18.net — ResNet18 written in the language — against torchvision's resnet18: the
// same parameter count and the same output shape at every layer for a 224×224 input.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkSpec } from '../../compiler/index.js';
import { python, ROOT } from '../helpers/spec.js';

describe('specs/resnet18.net', () => {
  it('has torchvision’s parameter count and per-layer shapes', () => {
    const path = join(ROOT, 'specs/resnet18.net');
    const { spec, diagnostics } = checkSpec(readFileSync(path, 'utf8'), path);
    expect(diagnostics).toEqual([]);
    const model = spec.networks.get('ResNet18')!;
    const torch = JSON.parse(python(join(ROOT, 'test/oracle/resnet18_shapes.py'), []).stdout);
    const parameters = model.layers
      .flatMap((n) => n.params.filter((p) => p.kind !== 'buffer'))
      .reduce((sum, p) => sum + p.shape.reduce((a, b) => a * b, 1), 0);
    expect(parameters).toBe(11_689_512);
    expect(parameters).toBe(torch.parameters);
    const kinds = new Set(['Conv2d', 'BatchNorm2d', 'MaxPool2d', 'AdaptiveAvgPool2d', 'Linear']);
    const ours = model.layers
      .filter((n) => kinds.has(n.def.name))
      .map((n) => [n.def.name, n.outputShape.slice(1)]);
    // torchvision runs a block's shortcut after its main path; the spec computes it after too.
    expect(ours).toEqual(torch.shapes);
  });
});
