// A sweep expands into trials in a fixed order (the last key changes fastest), each trial the
// train block with its values written in: the checked recipes carry them. Draws from ranges are
// reproducible, inside their range, rounded to 4 significant digits; a sweep's mistakes are
// positioned diagnostics (test/errors/sweep.net has the rest).
import { describe, expect, it } from 'vitest';
import type { Diagnostic, SweepSpec } from '../../compiler/index.js';
import { checkSpec } from '../../compiler/index.js';
import { format } from '../../grammar/index.js';
import { numberArg } from '../../compiler/vocabulary/args.js';

const BASE = `
dataset D {
  train = idx("images", "labels")
  validation = split(train, 10%)
}
network MLP(hidden = 16) {
  input x: [1, 28, 28]
  x -> Flatten -> Linear(784, hidden) -> ReLU -> Linear(hidden, 10)
}
transform Plain {
  ToTensor
}
train T {
  model = MLP()
  data = D, batch: 16
  loss = cross_entropy
  optimizer = SGD(0.05, momentum: 0.9)
  epochs = 1
  early_stop(monitor: val_loss, patience: 2)
}
`;

function sweepOf(body: string, name = 'S'): SweepSpec {
  const { spec, diagnostics } = checkSpec(`${BASE}\nsweep ${name} over T {\n${body}\n}\n`, 's.net');
  expect(diagnostics.map(show)).toEqual([]);
  return spec.sweeps.get(name)!;
}

function problems(body: string): string[] {
  const text = `${BASE}\nsweep S over T {\n${body}\n}\n`;
  return checkSpec(text, 's.net').diagnostics.map(show);
}

const show = (d: Diagnostic) =>
  `${d.span.start.line}:${d.span.start.column} ${d.code} ${d.message}`;
const values = (s: SweepSpec) => s.trials.map((t) => t.settings.map((v) => v.value));

describe('sweep expansion', () => {
  it('crosses the keys in order, the last one fastest, and names trials by index', () => {
    const sweep = sweepOf('optimizer.lr = [0.01, 0.03, 0.1]\nseed = [1, 2]');
    expect(sweep.keys).toEqual(['optimizer.lr', 'seed']);
    expect(sweep.trials.map((t) => t.name)).toEqual(
      ['0', '1', '2', '3', '4', '5'].map((k) => `trial-${k}`),
    );
    expect(values(sweep)).toEqual([
      ['0.01', '1'],
      ['0.01', '2'],
      ['0.03', '1'],
      ['0.03', '2'],
      ['0.1', '1'],
      ['0.1', '2'],
    ]);
    const recipes = sweep.trials.map((t) => t.recipe);
    expect(recipes.map((r) => numberArg(r.optimizer.args, 'lr'))).toEqual([
      0.01, 0.01, 0.03, 0.03, 0.1, 0.1,
    ]);
    expect(recipes.map((r) => r.seed)).toEqual([1, 2, 1, 2, 1, 2]);
    // The rest of the train block is untouched.
    expect(recipes.every((r) => numberArg(r.optimizer.args, 'momentum') === 0.9)).toBe(true);
    expect(recipes.every((r) => r.name === 'T' && r.batch === 16)).toBe(true);
  });

  it('pads trial names to the widest index, so folders sort in order', () => {
    const sweep = sweepOf('seed = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]');
    expect(sweep.trials.map((t) => t.name).slice(0, 2)).toEqual(['trial-00', 'trial-01']);
    expect(sweep.trials[10].name).toBe('trial-10');
  });

  it('writes options, call arguments (positional too), network parameters and early_stop', () => {
    const sweep = sweepOf(
      'data.batch = [8]\noptimizer.lr = [0.2]\nmodel.hidden = [24]\nearly_stop.patience = [5]\nepochs = 3',
    );
    const [trial] = sweep.trials;
    const r = trial.recipe;
    expect(r.batch).toBe(8);
    expect(numberArg(r.optimizer.args, 'lr')).toBe(0.2);
    expect(r.model.outputShape).toEqual(['N', 10]);
    expect(r.model.layers.find((l) => l.path === 'linear1')?.outputShape).toEqual(['N', 24]);
    expect(r.control.earlyStop?.patience).toBe(5);
    expect(r.epochs).toBe(3);
  });

  it('chooses among whole settings, with arguments of every choice', () => {
    const sweep = sweepOf(
      'optimizer = [SGD(lr: 0.1), Adam]\noptimizer.lr = [0.001]\nschedule = [constant, cosine(T_max: 2)]\ndata.transform = [Plain, None]',
    );
    expect(sweep.trials).toHaveLength(8);
    expect(values(sweep)[6]).toEqual(['Adam', '0.001', 'cosine(T_max: 2)', 'Plain']);
    const r = sweep.trials[6].recipe;
    expect(r.optimizer.def.name).toBe('Adam');
    expect(numberArg(r.optimizer.args, 'lr')).toBe(0.001);
    expect(r.control.schedule?.def.name).toBe('cosine');
    expect(r.transform?.name).toBe('Plain');
    expect(sweep.trials[7].recipe.transform).toBeUndefined();
  });

  it('draws ranges reproducibly, inside the range, rounded to 4 significant digits', () => {
    const body =
      'optimizer.lr = log_uniform(1e-4, 1e-1, n: 5)\nmodel.hidden = integer(8, 12, n: 3, seed: 4)';
    const a = sweepOf(body);
    expect(sweepOf(body).trials.map((t) => t.settings)).toEqual(a.trials.map((t) => t.settings));
    const lrs = [...new Set(a.trials.map((t) => numberArg(t.recipe.optimizer.args, 'lr')))];
    expect(lrs).toHaveLength(5);
    for (const lr of lrs) {
      expect(lr).toBeGreaterThanOrEqual(1e-4);
      expect(lr).toBeLessThanOrEqual(1e-1);
      expect(Number(lr.toPrecision(4))).toBe(lr);
    }
    // Log-uniform: the draws spread over the decades, not bunched at the top.
    expect(Math.min(...lrs)).toBeLessThan(1e-2);
    const hidden = a.trials.map((t) => Number(t.settings[1].value));
    for (const h of hidden) expect([8, 9, 10, 11, 12]).toContain(h);
    // Another sweep name, another stream: the draws differ.
    const other = sweepOf(body, 'Other');
    expect(other.trials.map((t) => t.settings)).not.toEqual(a.trials.map((t) => t.settings));
  });

  it('a single value changes every trial; no keys is one trial, the train block itself', () => {
    expect(values(sweepOf('epochs = 2\nseed = [1, 2]'))).toEqual([
      ['2', '1'],
      ['2', '2'],
    ]);
    const plain = sweepOf('');
    expect(plain.trials).toHaveLength(1);
    expect(plain.trials[0].recipe.seed).toBe(0);
  });

  it('reports a list-valued argument given as one list, and too many trials', () => {
    expect(problems('optimizer = [Adam]\noptimizer.betas = [0.9, 0.99]')[0]).toMatch(
      /Adam: 'betas' must be a list of numbers, found the number 0\.9; a list-valued argument is swept as a list of lists/,
    );
    const body = [
      'seed = integer(0, 99, n: 10)',
      'epochs = integer(1, 99, n: 10)',
      'data.batch = integer(1, 99, n: 10)',
      'model.hidden = integer(1, 99, n: 10)',
      'optimizer.lr = uniform(0.001, 0.1, n: 10)',
    ];
    expect(problems(body.join('\n'))).toEqual([
      expect.stringMatching(/ NS1205 sweep 'S' has 100000 trials; at most 10000$/),
    ]);
  });

  it('prints canonically and keeps its comments', () => {
    const messy = 'sweep  S over T{\n  optimizer.lr=[0.01,0.03] # two\nseed = [1,2]}\n';
    expect(format(messy, 's.net').text).toBe(
      'sweep S over T {\n  optimizer.lr = [0.01, 0.03]  # two\n  seed = [1, 2]\n}\n',
    );
  });
});
