// Frozen batch norms against PyTorch (test/oracle/frozen_batch_stats.py): by default, as in
// PyTorch (requires_grad=False in train()), they normalize with batch statistics and update the
// running ones while their weights stay frozen; with `freeze …, batch_stats: false` they use
// their running statistics and leave them alone (torch's bn.eval()).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkSpec, compileRecipe } from '../../../compiler/index.js';
import { readBinary } from '../../../runtime/cli/load.js';
import { python, ROOT, tempDir } from '../../helpers/spec.js';
import type { StepBatch } from '../../helpers/steps.js';
import { runTrainSteps } from '../../helpers/steps.js';

interface Expected {
  batches: StepBatch[];
  cases: Record<string, { losses: number[]; state: Record<string, number[]> }>;
}

function specFor(file: string, freeze: string): string {
  return `
dataset D { train = idx("unused-images", "unused-labels") }
network Small = onnx(${JSON.stringify(file)}, shape: [3, 8, 8]) {
  ${freeze}
  unfreeze fc
}
train T {
  model = Small
  data = D, batch: 4
  loss = cross_entropy
  optimizer = SGD(lr: 0.1)
  epochs = 1
}`;
}

function relativeError(actual: ArrayLike<number>, expected: number[]): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < expected.length; i++) {
    num += (actual[i] - expected[i]) ** 2;
    den += expected[i] ** 2;
  }
  return Math.sqrt(num / Math.max(den, 1e-30));
}

describe('frozen batch norms match PyTorch', () => {
  let dir: string;
  let expected: Expected;
  beforeAll(() => {
    dir = tempDir();
    const result = python(join(ROOT, 'test/oracle/frozen_batch_stats.py'), [dir]);
    expect(result.status, result.stderr).toBe(0);
    expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Expected;
  }, 120_000);

  async function train(freeze: string) {
    const text = specFor(join(dir, 'model.onnx'), freeze);
    const { spec, diagnostics } = checkSpec(text, 'bn.net', undefined, readBinary);
    expect(diagnostics.map((d) => d.message)).toEqual([]);
    const recipe = spec.recipes.get('T')!;
    const compiled = compileRecipe(recipe);
    return { compiled, ...(await runTrainSteps(recipe, compiled, expected.batches)) };
  }

  it.each(['freeze *', 'freeze *, batch_stats: true'])(
    '%s normalizes with batch statistics and updates the running ones (the default)',
    async (freeze) => {
      const { compiled, scalars, values } = await train(freeze);
      const want = expected.cases.batch_stats;
      const inputs = compiled.manifest.graphs.train.inputs;
      const roles = Object.fromEntries(inputs.map((i) => [i.name, i.role.kind]));
      // The running statistics are carried; the batch norm's weights stay graph constants.
      expect(roles['bn1.running_mean']).toBe('buffer');
      expect(roles['bn1.weight']).toBeUndefined();
      expect(relativeError(scalars('loss'), want.losses)).toBeLessThan(1e-5);
      for (const name of ['fc.weight', 'fc.bias']) {
        expect(relativeError(values(name), want.state[name]), name).toBeLessThan(1e-5);
      }
      for (const bn of ['bn1', 'bn2']) {
        for (const buffer of ['running_mean', 'running_var', 'num_batches_tracked']) {
          const name = `${bn}.${buffer}`;
          expect(relativeError(values(name), want.state[name]), name).toBeLessThan(1e-5);
        }
      }
    },
  );

  it('batch_stats: false uses the running statistics and leaves them unchanged', async () => {
    const { compiled, scalars, values } = await train('freeze *, batch_stats: false');
    const want = expected.cases.running_stats;
    const carried = compiled.manifest.graphs.train.inputs.filter((i) => i.role.kind === 'buffer');
    expect(carried).toEqual([]);
    expect(relativeError(scalars('loss'), want.losses)).toBeLessThan(1e-5);
    for (const name of ['fc.weight', 'fc.bias'])
      expect(relativeError(values(name), want.state[name]), name).toBeLessThan(1e-5);
  });

  it('reports a misspelt option and options on unfreeze at the statement', () => {
    const text = specFor(
      join(dir, 'model.onnx'),
      'freeze *, batch_stat: true\n  unfreeze bn1, x: 1',
    );
    const { diagnostics } = checkSpec(text, 'bn.net', undefined, readBinary);
    expect(diagnostics.map((d) => [d.span.start.line, d.message])).toEqual([
      [4, expect.stringMatching(/batch_stat.*did you mean 'batch_stats'/)],
      [5, 'unfreeze takes no options'],
    ]);
  });
});
