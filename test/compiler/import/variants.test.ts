// Other exports of the same network import too (batch norm folded into the convolutions,
// generated initializer names, opset 13), and bad files are diagnostics at the spec statement.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkSpec, compileInference, initialParameters } from '../../../compiler/index.js';
import { readBinary } from '../../../runtime/cli/load.js';
import { relativeL2 } from '../../helpers/golden.js';
import { RESNET18_ONNX } from '../../helpers/machine.js';
import { python, readFloat32, ROOT, tempDir } from '../../helpers/spec.js';

function check(file: string, body = '', shape = '[3, 32, 32]') {
  const text = `network R = onnx(${JSON.stringify(file)}, shape: ${shape}) {\n${body}\n}\n`;
  return checkSpec(text, 'spec.net', undefined, readBinary);
}

// A trained network's folded biases differ; a fresh one's are all zero, stored once and aliased
// by Identity nodes (what exporting torchvision's untrained resnet18 gives).
describe.each([
  { variant: 'a folded export with generated names', args: [], aliases: 0 },
  { variant: 'a folded export aliasing equal biases with Identity', args: ['fresh'], aliases: 16 },
])('$variant', ({ args, aliases }) => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir();
    const result = python(join(ROOT, 'test/oracle/export_folded.py'), [dir, ...args]);
    expect(result.status, result.stderr).toBe(0);
    expect(Number(result.stdout.trim())).toBe(aliases);
  }, 120_000);

  it('recovers module paths from node scopes and reproduces PyTorch', async () => {
    const { spec, diagnostics } = check(join(dir, 'model.onnx'));
    expect(diagnostics).toEqual([]);
    const model = spec.networks.get('R')!;
    const paths = model.layers.map((n) => n.path);
    expect(paths).toContain('layer1.0.conv1');
    expect(paths).not.toContain('layer1.0.bn1'); // folded away
    const session = await ort.InferenceSession.create(
      compileInference(model, initialParameters(model, 0)),
    );
    const input = readFloat32(join(dir, 'input.f32'));
    const expected = readFloat32(join(dir, 'logits.f32'));
    const out = await session.run({ input: new ort.Tensor('float32', input, [1, 3, 32, 32]) });
    const logits = out.logits.data as Float32Array;
    expect(relativeL2(logits, expected)).toBeLessThan(1e-4);
  });

  it("takes the seed's surgery", () => {
    const body = `freeze *
replace conv1 with Conv2d(1, 64, 7, stride: 2, padding: 3, bias: false)
replace fc with Linear(512, 10)`;
    const { spec, diagnostics } = check(join(dir, 'model.onnx'), body, '[1, 28, 28]');
    expect(diagnostics).toEqual([]);
    const model = spec.networks.get('R')!;
    const trainable = model.layers.filter((n) => !n.frozen && n.params.length > 0);
    expect(trainable.map((n) => n.path)).toEqual(['conv1', 'fc']);
    expect(model.outputShape).toEqual(['N', 10]);
  });
});

describe('bad ONNX files', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir();
    expect(python(join(ROOT, 'test/oracle/make_bad_onnx.py'), [dir]).status).toBe(0);
    writeFileSync(join(dir, 'text.onnx'), 'this is not a protobuf at all, just text\n');
    const good = readFileSync(RESNET18_ONNX);
    writeFileSync(join(dir, 'truncated.onnx'), good.subarray(0, 1000));
  });

  const messageOf = (file: string, shape = '[8]') => {
    const { diagnostics } = check(join(dir, file), '', shape);
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0].span.start.line).toBe(1);
    return diagnostics[0].message;
  };

  it('an unsupported operator, named with its node', () => {
    expect(messageOf('hardmax.onnx')).toBe(
      `${join(dir, 'hardmax.onnx')}: netspec cannot import Hardmax (node '/head/Hardmax')`,
    );
  });

  it('an opset out of range', () => {
    expect(messageOf('future.onnx')).toContain('opset 99 is outside the supported range 7–21');
  });

  it('a file that is not ONNX', () => {
    expect(messageOf('text.onnx')).toMatch(/text\.onnx: not an ONNX model/);
  });

  it('a truncated file', () => {
    expect(messageOf('truncated.onnx', '[3, 32, 32]')).toMatch(
      /truncated\.onnx: not an ONNX model/,
    );
  });

  it('a missing file', () => {
    expect(messageOf('nowhere.onnx')).toMatch(/cannot read the ONNX file .*nowhere\.onnx/);
  });
});
