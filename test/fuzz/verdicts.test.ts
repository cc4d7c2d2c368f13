// The fuzz suites' verdicts can fail: each rejects what it exists to catch.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../runtime/errors.js';
import { tempDir } from '../helpers/spec.js';
import { expectCleanExit, expectUntouched, expectUserError } from './fuzz.js';

const exit = (status: number | null, stderr: string) => ({ status, stdout: '', stderr });

describe('fuzz verdicts', () => {
  it('expectUntouched: a file added or changed outside the skipped folder fails', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a'), 'x');
    const write = (name: string, text: string) => () => writeFileSync(join(dir, name), text);
    expect(() => expectUntouched(dir, ['out'], write('b', 'y'))).toThrow();
    expect(() => expectUntouched(dir, ['out'], write('a', 'changed'))).toThrow();
    expectUntouched(dir, ['out'], write('out', 'y'));
  });

  it('expectCleanExit: a trace, a crash, a hang or an unpositioned error fails', () => {
    expect(() => expectCleanExit(exit(1, 'TypeError: x\n    at f (a.js:1:1)'), '')).toThrow();
    expect(() => expectCleanExit(exit(134, ''), '')).toThrow();
    expect(() => expectCleanExit(exit(null, ''), '')).toThrow();
    expect(() => expectCleanExit(exit(1, 'something broke'), '')).toThrow();
    expectCleanExit(exit(1, 'spec.net:3:4: error NS0003: expected a name'), '');
    expectCleanExit(exit(1, 'error NS2002: /d/images.csv:2:5: not an integer'), '');
  });

  it('expectUserError: an exception that is not a UserError, or names another file, fails', () => {
    const throwing = (e: Error) => () => {
      throw e;
    };
    expect(() => expectUserError(throwing(new TypeError('x')), 'f.csv')).toThrow();
    expect(() =>
      expectUserError(throwing(new UserError('NS2002', 'g.csv: bad')), 'f.csv'),
    ).toThrow();
    expectUserError(throwing(new UserError('NS2002', '/d/f.csv: bad')), 'f.csv');
  });
});
