// Every termination condition fires when it should, and the run says which one stopped it.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunController } from '../../../runtime/control.js';
import type { EpochMetrics } from '../../../runtime/train.js';
import { writeIdxPair } from '../../helpers/idx.js';
import { netspec, recipeOf, tempDir } from '../../helpers/spec.js';

const spec = (extra: string, schedule = '') => `
dataset D { train = idx("images", "labels")  test = idx("images", "labels") }
network N {
  input x: [1, 28, 28]
  x -> Flatten -> Linear(784, 10)
}
train T {
  model = N()
  data = D, batch: 8
  loss = cross_entropy
  optimizer = SGD(lr: 0.1)
  epochs = 20
  ${schedule}
  ${extra}
}`;

const epoch = (k: number, trainLoss: number, testLoss = trainLoss): EpochMetrics => ({
  epoch: k,
  trainLoss,
  trainAccuracy: 0.5,
  testLoss,
  testAccuracy: 0.5,
  lr: 0.1,
  imagesPerSecond: 1,
  seconds: 1,
});

/** Feeds epochs with the given train losses; returns the 1-based epoch that stopped and why. */
function run(extra: string, losses: number[], steps = 10) {
  const controller = new RunController(recipeOf(spec(extra)), 0.1, steps, 20);
  for (let k = 0; k < losses.length; k++) {
    const outcome = controller.afterEpoch(epoch(k + 1, losses[k]), (k + 1) * steps);
    if (outcome.stop) return { epoch: k + 1, reason: outcome.stop };
  }
  return { epoch: undefined, reason: undefined };
}

describe('termination conditions', () => {
  it('maximum iterations: steps > k_max', () => {
    expect(run('stop when steps > 25', [1, 0.9, 0.8, 0.7])).toEqual({
      epoch: 3,
      reason: 'stop when: steps > 25 (steps = 30)',
    });
  });

  it('absolute improvement f(θk) − f(θk+1) < εa', () => {
    expect(run('stop when improvement < 0.05', [1, 0.5, 0.3, 0.28])).toEqual({
      epoch: 4,
      reason: 'stop when: improvement < 0.05 (improvement = 0.02)',
    });
  });

  it('relative improvement < εr·|f(θk)|', () => {
    expect(run('stop when relative_improvement < 0.1', [1, 0.5, 0.46])).toEqual({
      epoch: 3,
      reason: 'stop when: relative_improvement < 0.1 (relative_improvement = 0.08)',
    });
  });

  it('the first of several conditions joined by or', () => {
    const result = run('stop when steps > 1000 or loss < 0.4', [1, 0.5, 0.3]);
    expect(result).toEqual({ epoch: 3, reason: 'stop when: loss < 0.4 (loss = 0.3)' });
  });

  it('a non-finite loss always stops', () => {
    expect(run('', [1, NaN])).toEqual({ epoch: 2, reason: 'the training loss is NaN' });
    expect(run('', [1, Infinity]).reason).toBe('the training loss is Infinity');
  });

  it('early stopping on the validation loss, with patience', () => {
    const controller = new RunController(
      recipeOf(spec('early_stop(monitor: val_loss, patience: 1)')),
      0.1,
      10,
      20,
    );
    const outcomes = [0.9, 0.8, 0.85, 0.82].map((v, k) =>
      controller.afterEpoch(epoch(k + 1, 0.5, v), 10),
    );
    expect(outcomes.map((o) => o.best)).toEqual([true, true, false, false]);
    expect(outcomes.map((o) => o.stop)).toEqual([
      undefined,
      undefined,
      'early stopping: val_loss has not improved for 1 epoch',
      'early stopping: val_loss has not improved for 2 epochs',
    ]);
  });

  it('nothing stops a run that keeps improving', () => {
    expect(run('stop when improvement < 0.01', [1, 0.8, 0.6, 0.4])).toEqual({
      epoch: undefined,
      reason: undefined,
    });
  });
});

describe('schedules', () => {
  it('exponential decay α(k) = α(1)·γ^(k−1) per epoch, with warm-up', () => {
    const c = new RunController(
      recipeOf(spec('', 'schedule = exponential(gamma: 0.5), warmup: 4')),
      0.1,
      10,
      20,
    );
    expect([0, 1, 3].map((s) => c.rate(s, 0))).toEqual([0.025, 0.05, 0.1]);
    expect(c.rate(25, 2)).toBeCloseTo(0.025, 12);
  });

  it('reduce on plateau', () => {
    const c = new RunController(
      recipeOf(spec('', 'schedule = plateau(factor: 0.5, patience: 1)')),
      0.1,
      10,
      20,
    );
    [0.9, 0.9, 0.9].forEach((v, k) => c.afterEpoch(epoch(k + 1, 0.5, v), 10));
    expect(c.rate(0, 3)).toBeCloseTo(0.05, 12);
  });
});

describe('the CLI says why a run stopped', () => {
  it('prints the reason and keeps the weights', () => {
    const dir = tempDir();
    writeIdxPair(dir, 64);
    writeFileSync(join(dir, 'spec.net'), spec('stop when steps > 15'));
    const result = netspec(['train', 'spec.net', '--out', 'run'], dir);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('stopped: stop when: steps > 15 (steps = 16)');
    expect(result.stdout.match(/^epoch /gm)).toHaveLength(2);
  });
});
