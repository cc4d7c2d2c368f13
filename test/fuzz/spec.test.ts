// Fuzzing spec text: the repository's specs mutated piece-wise (test/helpers/mutate-spec.ts) and
// byte-wise, with numbers replaced by edge values (0, -1, 2^31, 2^53, 1e308, NaN, …). In
// process, parse and check return diagnostics inside the text; as a child, `check`, `fmt` and
// an import of the mutated spec exit 0 or 1 with a positioned message and change nothing.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, it } from 'vitest';
import { mutatedSpec, SOURCES, survives } from '../helpers/mutate-spec.js';
import { tempDir } from '../helpers/spec.js';
import { expectCleanExit, expectUntouched, fuzzCli, fuzzRuns, hangGuard, mutated } from './fuzz.js';

const spec = fc.oneof(
  mutatedSpec,
  mutated(SOURCES.map((s) => Buffer.from(s))).map((bytes) => bytes.toString('utf8')),
);

describe('fuzzing specs', () => {
  const IN_PROCESS = 300;
  it(
    'parse and check return positioned diagnostics for every mutated spec',
    () => fc.assert(fc.property(spec, survives), fuzzRuns(IN_PROCESS)),
    hangGuard(IN_PROCESS, 200),
  );

  const CHILDREN = 4;
  let dir: string;
  beforeAll(() => {
    dir = tempDir('netspec-fuzz-spec-');
    writeFileSync(join(dir, 'main.net'), 'import "fuzz.net"\n');
  });
  it.each([
    ['check', 'fuzz.net'],
    ['fmt', 'fuzz.net'],
    ['check', 'main.net'],
  ])(
    '`%s %s` on a mutated spec: exit 0 or 1, nothing written',
    (command, file) => {
      fc.assert(
        fc.property(spec, (text) => {
          writeFileSync(join(dir, 'fuzz.net'), text);
          const result = expectUntouched(dir, [], () => fuzzCli([command, file], dir));
          expectCleanExit(result, text);
        }),
        fuzzRuns(CHILDREN),
      );
    },
    hangGuard(CHILDREN, 30_000),
  );
});
