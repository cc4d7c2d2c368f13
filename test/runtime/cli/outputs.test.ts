// Empty splits are refused before training, and outputs that cannot be written (a missing
// folder, a folder in the way, a full disk) are one error line: no trace, no partial file, no
// temporary left behind.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { idxBytes, tinySpec, writeIdxPair } from '../../helpers/idx.js';
import { netspec, tempDir } from '../../helpers/spec.js';

function expectOneError(result: ReturnType<typeof netspec>, ...fragments: string[]) {
  expect(result.status, result.stderr).toBe(1);
  const lines = result.stderr.trim().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  for (const fragment of fragments) expect(lines[0]).toContain(fragment);
}

describe('empty training splits', () => {
  const csvSpec = (images: string) =>
    tinySpec('x', 'y').replace(
      /idx\("x", "y"\)/g,
      `csv(images: "${images}", label_column: 0, shape: [1, 28, 28])`,
    );

  it.each([
    ['an empty CSV', 'empty.csv', ''],
    [
      'a header-only CSV',
      'header.csv',
      `label,${Array.from({ length: 784 }, (_, i) => `p${i}`)}\n`,
    ],
  ])('%s: an error before training, nothing written', (_, name, text) => {
    const dir = tempDir();
    writeFileSync(join(dir, name), text);
    const spec = csvSpec(name).replace(
      'label_column: 0',
      `label_column: 0, header: ${name === 'header.csv'}`,
    );
    writeFileSync(join(dir, 'spec.net'), spec);
    const result = netspec(['train', 'spec.net', '--out', 'run'], dir);
    expectOneError(result, 'error NS2002', `${name}: the training split has no examples`);
    expect(existsSync(join(dir, 'run'))).toBe(false);
  });

  it('an IDX file of 0 images', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'images'), idxBytes([0, 28, 28], new Uint8Array(0)));
    writeFileSync(join(dir, 'labels'), idxBytes([0], new Uint8Array(0)));
    writeFileSync(join(dir, 'spec.net'), tinySpec('images', 'labels'));
    const result = netspec(['train', 'spec.net', '--out', 'run'], dir);
    expectOneError(result, 'spec.net:3:15: error NS2002', 'the training split has no examples');
    expect(existsSync(join(dir, 'run'))).toBe(false);
  });
});

describe('outputs that cannot be written', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir();
    writeIdxPair(dir, 8);
    writeFileSync(join(dir, 'spec.net'), tinySpec('images', 'labels'));
    expect(netspec(['train', 'spec.net', '--out', 'run'], dir).status).toBe(0);
    mkdirSync(join(dir, 'folder.onnx'));
    writeFileSync(join(dir, 'a-file'), 'x');
  });
  const weights = ['--weights', 'run/weights.safetensors'];

  it('export -o into a missing folder, or onto a folder', () => {
    const missing = netspec(['export', 'spec.net', '-o', 'nowhere/m.onnx', ...weights], dir);
    expectOneError(missing, 'nowhere/m.onnx: cannot write (its folder does not exist)');
    const folder = netspec(['export', 'spec.net', '-o', 'folder.onnx', ...weights], dir);
    expectOneError(folder, 'folder.onnx: cannot write (it is a folder)');
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('compile -o and data --grid under a file', () => {
    const compile = netspec(['compile', 'spec.net', '-o', 'a-file/out'], dir);
    expectOneError(compile, 'a-file/out: cannot create the folder');
    const grid = netspec(['data', 'spec.net', '--grid', 'a-file/grid.png'], dir);
    expect(grid.status).toBe(1);
    expect(grid.stderr).toContain(
      'a-file/grid.png: cannot write (a part of its path is a file, not a folder)',
    );
  });
});
