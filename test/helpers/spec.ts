// Shared helpers for tests: compile a spec from text, run the CLI, make temporary folders.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Recipe } from '../../compiler/index.js';
import { checkSpec } from '../../compiler/index.js';
import { PYTHON } from './machine.js';

export const ROOT = resolve(import.meta.dirname, '../..');

/** The one recipe of a spec that must check cleanly. */
export function recipeOf(text: string, file = 'test.net'): Recipe {
  const { spec, diagnostics } = checkSpec(text, file);
  if (diagnostics.length > 0) {
    throw new Error(
      diagnostics.map((d) => `${d.span.start.line}:${d.span.start.column} ${d.message}`).join('\n'),
    );
  }
  const [recipe] = spec.recipes.values();
  return recipe;
}

/** A spec whose dataset D's train split reads `source`; a 784→10 MLP trains on it one epoch. */
export const oneEpochSpec = (source: string) => `
dataset D {
  train = ${source}
}
network MLP {
  input x: [1, 28, 28]
  x -> Flatten -> Linear(784, 10)
}
train T {
  model = MLP()
  data = D, batch: 2
  loss = cross_entropy
  optimizer = SGD(lr: 0.01)
  epochs = 1
}
`;

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built CLI (`npm run build` first) with arguments, in `cwd`. A run that hangs is
 * killed after `timeout` ms (status null): spawnSync blocks vitest's own test timeout.
 */
export function netspec(
  args: string[],
  cwd = ROOT,
  env = process.env,
  timeout = 300_000,
): CliResult {
  const result = spawnSync(process.execPath, [join(ROOT, 'bin/netspec.js'), ...args], {
    cwd,
    env,
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    timeout,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export function tempDir(prefix = 'netspec-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export { PYTHON } from './machine.js';

export function python(script: string, args: string[], input?: Buffer): CliResult {
  const result = spawnSync(PYTHON, [script, ...args], {
    input,
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A little-endian float32 file as an array (a copy: small Buffers share a pooled ArrayBuffer). */
export function readFloat32(path: string): Float32Array {
  const bytes = readFileSync(path);
  return new Float32Array(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
  );
}
