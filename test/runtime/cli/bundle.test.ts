// The bundled CLI (dist/cli/, built by `npm run build`) loads only what a command uses:
// `--help` and `check` run from a copy of the bundle with no node_modules at all, so they load
// neither onnxruntime-node nor onnx-proto, while `compile`, which writes ONNX, needs them.
import { spawnSync } from 'node:child_process';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SKIP_GRAMMAR_CHECKS } from '../../../grammar/bundled.js';
import { writeIdxPair } from '../../helpers/idx.js';
import { ROOT, tempDir } from '../../helpers/spec.js';

const SPEC = `network Tiny {
  input x: [1, 28, 28]
  x -> Flatten -> Linear(784, 10)
}

dataset D {
  train = idx("images.gz", "labels.gz")
}

train T {
  model = Tiny
  data = D
  loss = cross_entropy
  optimizer = SGD(lr: 0.1)
  epochs = 1
}
`;

describe('the bundled CLI', () => {
  it('checks specs without onnxruntime-node or onnx-proto installed', () => {
    const dir = tempDir('netspec-bundle-');
    cpSync(join(ROOT, 'dist/cli'), join(dir, 'cli'), { recursive: true });
    writeFileSync(join(dir, 'tiny.net'), SPEC);
    writeIdxPair(dir, 4, { gzip: true }); // the data check reads them
    const netspec = (args: string[]) =>
      spawnSync(process.execPath, [join(dir, 'cli/netspec.js'), ...args], {
        cwd: dir,
        encoding: 'utf8',
      });
    expect(netspec(['--help']).stdout).toContain('Usage: netspec');
    const check = netspec(['check', 'tiny.net']);
    expect(check.stderr).toBe('');
    expect(check.stdout).toBe('tiny.net: ok\n');
    const compile = netspec(['compile', 'tiny.net', '-o', 'out']);
    expect(compile.status).not.toBe(0);
    expect(compile.stderr).toContain("Cannot find module 'onnx-proto'");
  });

  it('is the only place that skips chevrotain’s grammar checks', () => {
    // Every parser the tests build runs them (grammar/bundled.ts).
    expect(SKIP_GRAMMAR_CHECKS).toBe(false);
  });
});
