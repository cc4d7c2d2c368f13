// Every termination condition fires when it should, and the run says which one stopped it.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunController } from '../../../runtime/control.js';
import type { EpochMetrics } from '../../../runtime/train.js';
import { writeIdxPair } from '../../helpers/idx.js';
import { checkSpec } from '../../../compiler/index.js';
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

  it('every N steps: the condition over each period of N steps, improvement between periods', () => {
    const controller = new RunController(
      recipeOf(spec('stop when improvement < 0.05 every 4 steps')),
      0.1,
      10,
      20,
    );
    expect([3, 4, 8, 10, 12].map((s) => controller.periodEndsAt(s))).toEqual([
      false,
      true,
      true,
      false,
      true,
    ]);
    // the epoch's end does not check a condition that has its own period
    expect(controller.afterEpoch(epoch(1, 0.1), 10).stop).toBeUndefined();
    const period = (loss: number) => ({ loss, accuracy: 0.5 });
    expect(controller.afterPeriod(period(1), 4, 0)).toBeUndefined();
    expect(controller.afterPeriod(period(0.8), 8, 0)).toBeUndefined();
    expect(controller.afterPeriod(period(0.78), 12, 1)).toBe(
      'stop when: improvement < 0.05 (improvement = 0.02)',
    );
  });

  it('steps are checked after every step, whatever the period of the rest', () => {
    const controller = new RunController(
      recipeOf(spec('stop when steps >= 13 or loss < 0.01')),
      0.1,
      10,
      20,
    );
    expect(controller.afterStep(12)).toBeUndefined();
    expect(controller.afterStep(13)).toBe('stop when: steps >= 13 (steps = 13)');
    // `and` with a period quantity waits for the period
    const both = new RunController(recipeOf(spec('stop when steps > 5 and loss < 1')), 0.1, 10, 20);
    expect(both.afterStep(7)).toBeUndefined();
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

describe('stop conditions the recipe cannot compute are diagnostics', () => {
  const messages = (text: string) =>
    checkSpec(text, 'x.net').diagnostics.map((d) => [d.span.start.line, d.message]);
  const noHeldOut = (extra: string) => spec(extra).replace('test = idx("images", "labels")', '');

  it('val_loss or val_accuracy without a validation or test split', () => {
    expect(messages(noHeldOut('stop when steps > 9 or val_accuracy > 0.9'))).toEqual([
      [
        14,
        "stop when: 'val_accuracy' is measured on a validation or test split, and dataset 'D' has neither (add validation = split(train, 10%) or a test split)",
      ],
    ]);
    expect(messages(noHeldOut('early_stop(monitor: val_loss)'))[0][1]).toMatch(
      /^early_stop: 'val_loss' is measured on a validation or test split/,
    );
    expect(messages(spec('stop when val_loss < 0.1'))).toEqual([]);
  });

  it('grad_norm names which gradient norm it means; every takes steps or epochs', () => {
    expect(messages(spec('stop when grad_norm < 1e-3'))).toEqual([
      [
        14,
        "'grad_norm' could mean two things: batch_grad_norm (the last minibatch's gradient, free) or full_grad_norm (‖∇f(θ)‖ over the whole training set, one extra pass per check)",
      ],
    ]);
    expect(messages(spec('stop when loss < 0.1 every 3 batches'))).toEqual([
      [14, "stop when every … epochs or steps, not 'batches'"],
    ]);
    expect(messages(spec('stop when loss < 0.1 every 0 steps'))).toEqual([
      [14, 'stop when every: a positive whole number'],
    ]);
  });
});

describe('the CLI says why a run stopped', () => {
  it('stops at exactly the step a step condition names, mid-epoch and mid-run of steps', () => {
    const dir = tempDir();
    writeIdxPair(dir, 64);
    // 8 steps per epoch, 8 steps per onnxruntime run: step 20 is in the middle of both.
    writeFileSync(join(dir, 'spec.net'), spec('stop when steps >= 20'));
    const result = netspec(['train', 'spec.net', '--out', 'run'], dir);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('stopped: stop when: steps >= 20 (steps = 20)');
    expect(result.stdout).toMatch(/^epoch 3\/20 \(stopped after 4 of its 8 steps\)/m);
    const epochs = readFileSync(join(dir, 'run', 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n');
    expect(JSON.parse(epochs[2]).partial).toEqual({ steps: 4, of: 8 });
    const steps = readFileSync(join(dir, 'run', 'steps.csv'), 'utf8')
      .trim()
      .split('\n');
    expect(steps).toHaveLength(1 + 20);
    expect(steps.at(-1)!.split(',')[0]).toBe('20');
  });

  it('checks a loss condition every N steps when the spec says so', () => {
    const dir = tempDir();
    writeIdxPair(dir, 64);
    writeFileSync(join(dir, 'spec.net'), spec('stop when loss < 100 every 3 steps'));
    const result = netspec(['train', 'spec.net', '--out', 'run'], dir);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/stopped: stop when: loss < 100 \(loss = [\d.]+\)/);
    expect(result.stdout).toMatch(/^epoch 1\/20 \(stopped after 3 of its 8 steps\)/m);
  });

  it('says which epoch early stopping restored', () => {
    const dir = tempDir();
    writeIdxPair(dir, 64);
    // lr 20 makes the loss jump about: some epoch is worse than an earlier one
    const text = spec('early_stop(monitor: val_loss, patience: 1)').replace('lr: 0.1', 'lr: 20');
    writeFileSync(join(dir, 'spec.net'), text);
    const result = netspec(['train', 'spec.net', '--out', 'run'], dir);
    expect(result.stderr).toBe('');
    const epochs = readFileSync(join(dir, 'run', 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n');
    const losses = epochs.map((line) => JSON.parse(line).testLoss as number);
    const best = losses.indexOf(Math.min(...losses)) + 1;
    expect(result.stdout).toContain(
      'stopped: early stopping: val_loss has not improved for 1 epoch',
    );
    expect(best).toBeLessThan(losses.length);
    expect(result.stdout).toContain(
      `early stopping: the final weights are epoch ${best}'s (best val_loss ${Number(Math.min(...losses).toPrecision(5))})`,
    );
  });

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
