// The CLI's contract: diagnostics with positions and carets, exit codes, --json, --help.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { netspec, python, ROOT, tempDir } from '../../helpers/spec.js';

const BASELINES = join(ROOT, 'test/baselines');

/** Compares CLI output with a stored baseline; UPDATE_BASELINES=1 rewrites it instead. */
function expectBaseline(name: string, actual: string) {
  const path = join(BASELINES, name);
  if (process.env.UPDATE_BASELINES) writeFileSync(path, actual);
  expect(actual).toBe(readFileSync(path, 'utf8'));
}

describe('netspec check', () => {
  it('passes the shipped spec', () => {
    const result = netspec(['check', 'specs/fashion-mlp.net']);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('ok');
  });

  it('reports a typo and a shape mismatch, both with positions and carets', () => {
    const result = netspec(['check', 'test/errors/typo-and-shape.net']);
    expect(result.status).toBe(1);
    expectBaseline('typo-and-shape.errors.txt', result.stderr);
  });

  it('prints the same diagnostics as JSON', () => {
    const result = netspec(['check', '--json', 'test/errors/typo-and-shape.net']);
    expect(result.status).toBe(1);
    const diagnostics = JSON.parse(result.stdout);
    expect(diagnostics.map((d: { code: string }) => d.code)).toEqual([
      'NS1101',
      'NS1001',
      'NS1003',
    ]);
    expect(diagnostics[0].span.start).toEqual({ offset: expect.any(Number), line: 8, column: 26 });
  });

  it('a spec that does not exist is an error, not a crash', () => {
    const result = netspec(['check', 'nope.net']);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe('error NS4007: nope.net: cannot read the spec: no such file\n');
  });

  it('refuses to train or compile a spec with errors, writing nothing', () => {
    const out = join(tempDir(), 'out');
    const result = netspec(['compile', 'test/errors/typo-and-shape.net', '-o', out]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('3 errors');
    expect(existsSync(out)).toBe(false);
  });
});

describe('netspec compile and help', () => {
  it('--print prints the graphs as text and writes nothing', () => {
    const cwd = tempDir();
    const spec = join(ROOT, 'specs/fashion-mlp.net');
    const all = netspec(['compile', spec, '--print'], cwd);
    expect(all.status).toBe(0);
    const graphs = all.stdout.split('\n').filter((line) => line.startsWith('graph '));
    expect(graphs).toEqual([
      'graph Baseline.train',
      'graph Baseline.train.steps',
      'graph Baseline.eval',
      'graph MLP',
    ]);
    expect(readdirSync(cwd)).toEqual([]);
    const one = netspec(['compile', spec, '--print', 'eval'], cwd);
    expect(one.stdout).toMatch(
      /^graph Baseline.eval\n {2}input {2}linear1.weight: float32\[256, 784\]\n/,
    );
    expect(one.stdout).toContain(
      'linear1 | Gemm(flatten1/Flatten, linear1.weight, linear1.bias) transB=1',
    );
    const wrong = netspec(['compile', spec, '--print', 'backward'], cwd);
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toBe(
      "error NS4001: --print: no graph 'backward' (one of train, steps, eval, infer)\n",
    );
  });

  it('writes the train, steps and eval graphs and a manifest naming every input and output', () => {
    const out = tempDir();
    const result = netspec(['compile', 'specs/fashion-mlp.net', '-o', out]);
    expect(result.status).toBe(0);
    const manifest = JSON.parse(readFileSync(join(out, 'Baseline.manifest.json'), 'utf8'));
    const roles = manifest.graphs.train.inputs.map(
      (i: { name: string; role: { kind: string } }) => `${i.name}:${i.role.kind}`,
    );
    expect(roles).toEqual([
      'linear1.weight:param',
      'linear1.bias:param',
      'linear2.weight:param',
      'linear2.bias:param',
      'linear1.weight.momentum_buffer:state',
      'linear1.bias.momentum_buffer:state',
      'linear2.weight.momentum_buffer:state',
      'linear2.bias.momentum_buffer:state',
      'lr:lr',
      'step:step',
      'x:images',
      'labels:labels',
    ]);
    for (const graph of ['train', 'steps', 'eval', 'infer']) {
      const checked = python(join(ROOT, 'test/oracle/check_onnx.py'), [
        join(out, `Baseline.${graph}.onnx`),
      ]);
      expect(checked.stderr).toBe('');
      expect(JSON.parse(checked.stdout).opset).toEqual([18]);
    }
  });

  it('--help lists the commands', () => {
    const result = netspec(['--help']);
    expect(result.status).toBe(0);
    for (const command of ['check', 'compile', 'train', 'export'])
      expect(result.stdout).toContain(command);
  });

  it('an unknown command exits non-zero', () => {
    expect(netspec(['frobnicate']).status).not.toBe(0);
  });
});
