// Bad data gets a one-line error naming the file and what is wrong, exit code 1, and nothing
// written; good data in either encoding trains.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { idxBytes, tinySpec, writeIdxPair } from '../../helpers/idx.js';
import { netspec, tempDir } from '../../helpers/spec.js';

function trainIn(dir: string, spec: string) {
  writeFileSync(join(dir, 'spec.net'), spec);
  const out = join(dir, 'run');
  rmSync(out, { recursive: true, force: true });
  const result = netspec(['train', 'spec.net', '--out', out], dir);
  return { ...result, wroteOutput: existsSync(out) };
}

function expectOneLineError(
  result: ReturnType<typeof trainIn>,
  code: string,
  ...fragments: string[]
) {
  expect(result.status).toBe(1);
  expect(result.wroteOutput).toBe(false);
  const lines = result.stderr.trim().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toContain(`error ${code}`);
  for (const fragment of fragments) expect(lines[0]).toContain(fragment);
  expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
}

describe('IDX data errors', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir();
    writeIdxPair(dir, 6);
    writeIdxPair(dir, 6, { gzip: true });
  });

  it('trains on good raw and gzip files alike', () => {
    for (const [images, labels] of [
      ['images', 'labels'],
      ['images.gz', 'labels.gz'],
    ]) {
      const result = trainIn(dir, tinySpec(images, labels));
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(/epoch 1\/1 .* test loss/);
      expect(result.wroteOutput).toBe(true);
    }
  });

  it('a missing file: where the spec names it, where it looked', () => {
    const result = trainIn(dir, tinySpec('nowhere.gz', 'labels'));
    expectOneLineError(
      result,
      'NS2001',
      'spec.net:3:15',
      "cannot find data file 'nowhere.gz'",
      dir,
    );
  });

  it('a file that is not IDX (wrong magic number)', () => {
    writeFileSync(join(dir, 'text'), 'hello, this is not an IDX file at all');
    const result = trainIn(dir, tinySpec('text', 'labels'));
    expectOneLineError(
      result,
      'NS2002',
      join(dir, 'text'),
      'not an IDX file',
      'magic number 0x68656c6c',
    );
  });

  it('a labels file given as images (wrong rank)', () => {
    const result = trainIn(dir, tinySpec('labels', 'labels'));
    expectOneLineError(result, 'NS2002', join(dir, 'labels'), 'has 1 dimensions');
  });

  it('a truncated gzip file', () => {
    const whole = readFileSync(join(dir, 'images.gz'));
    writeFileSync(join(dir, 'cut.gz'), whole.subarray(0, whole.length >> 1));
    const result = trainIn(dir, tinySpec('cut.gz', 'labels.gz'));
    expectOneLineError(result, 'NS2002', join(dir, 'cut.gz'), 'truncated gzip data');
  });

  it('an IDX file shorter than its header promises', () => {
    writeFileSync(join(dir, 'short'), idxBytes([6, 28, 28], new Uint8Array(100)));
    const result = trainIn(dir, tinySpec('short', 'labels'));
    expectOneLineError(result, 'NS2002', 'is truncated', '4704 bytes of data, found 100');
  });

  it('labels whose count differs from the images', () => {
    writeFileSync(join(dir, 'five-labels.gz'), gzipSync(idxBytes([5], new Uint8Array(5))));
    const result = trainIn(dir, tinySpec('images.gz', 'five-labels.gz'));
    expectOneLineError(result, 'NS2003', 'has 5 labels', 'has 6 images');
  });

  it('an unreadable path (a directory)', () => {
    const result = trainIn(dir, tinySpec('.', 'labels'));
    expectOneLineError(result, 'NS2004', 'is a folder, not a file');
  });
});
