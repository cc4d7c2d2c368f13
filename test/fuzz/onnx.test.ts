// Fuzzing ONNX files: a valid linear classifier and a small conv net, mutated byte-wise. Imported
// by a spec they are a model or one diagnostic at its `onnx(…)`; `netspec info` and `check` on
// them exit 0 or 1 with a positioned message.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkSpec } from '../../compiler/index.js';
import { LINEAR, onnxBytes, type GraphSpec } from '../helpers/onnx.js';
import { tempDir } from '../helpers/spec.js';
import { expectCleanExit, expectUntouched, fuzzCli, fuzzRuns, hangGuard, mutated } from './fuzz.js';

/** Conv → Relu → Flatten → Gemm, with int attributes and four initializers. */
const CONV: GraphSpec = {
  inputs: [{ name: 'input', dims: ['N', 1, 28, 28] }],
  outputs: ['logits'],
  nodes: [
    {
      op: 'Conv',
      inputs: ['input', 'c.weight', 'c.bias'],
      outputs: ['c'],
      attrs: { group: 1 },
    },
    { op: 'Relu', inputs: ['c'], outputs: ['r'] },
    { op: 'Flatten', inputs: ['r'], outputs: ['flat'] },
    {
      op: 'Gemm',
      inputs: ['flat', 'fc.weight', 'fc.bias'],
      outputs: ['logits'],
      attrs: { transB: 1 },
    },
  ],
  initializers: [
    { name: 'c.weight', dims: [2, 1, 3, 3] },
    { name: 'c.bias', dims: [2] },
    { name: 'fc.weight', dims: [10, 2 * 26 * 26] },
    { name: 'fc.bias', dims: [10] },
  ],
};

const SEEDS = [LINEAR, CONV].map((g) => Buffer.from(onnxBytes(g)));
const SPEC = 'network R = onnx("model.onnx", shape: [1, 28, 28]) {}\n';

describe('fuzzing ONNX files', () => {
  it('the seeds import', () => {
    for (const bytes of SEEDS)
      expect(checkSpec(SPEC, 'spec.net', undefined, () => bytes).diagnostics).toEqual([]);
  });

  const IN_PROCESS = 300;
  it(
    'a mutated file imports, or is diagnosed at the onnx(…) that names it',
    () => {
      fc.assert(
        fc.property(mutated(SEEDS), (bytes) => {
          const { diagnostics } = checkSpec(SPEC, 'spec.net', undefined, () => bytes);
          for (const d of diagnostics) {
            expect(d.file).toBe('spec.net');
            expect([d.span.start.line, d.span.start.column]).toEqual([1, 13]);
            expect(d.message).toContain('model.onnx');
            expect(d.message).not.toMatch(/TypeError|RangeError|Cannot read|undefined/);
          }
        }),
        fuzzRuns(IN_PROCESS),
      );
    },
    hangGuard(IN_PROCESS, 100),
  );

  const CHILDREN = 4;
  let dir: string;
  beforeAll(() => {
    dir = tempDir('netspec-fuzz-onnx-');
    writeFileSync(join(dir, 'spec.net'), SPEC);
  });
  it.each(['info', 'check'])(
    '`%s` on a mutated file: exit 0 or 1, nothing written',
    (command) => {
      fc.assert(
        fc.property(mutated(SEEDS), (bytes) => {
          writeFileSync(join(dir, 'model.onnx'), bytes);
          const target = command === 'info' ? 'model.onnx' : 'spec.net';
          const result = expectUntouched(dir, [], () => fuzzCli([command, target], dir));
          expectCleanExit(result, `model.onnx of ${bytes.length} bytes`);
        }),
        fuzzRuns(CHILDREN),
      );
    },
    hangGuard(CHILDREN, 30_000),
  );
});
