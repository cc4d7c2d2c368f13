import type { ArgSpec, BoundArgs } from './vocabulary/args.js';
import { numberArg } from './vocabulary/args.js';
import { num, int } from './vocabulary/values.js';
import type { Schedule, ScheduleDef } from './vocabulary/defs.js';
import { registry } from './vocabulary/registry.js';
// The learning-rate schedule registry. The step graph takes the learning rate as an input, so a
// schedule is plain arithmetic the runtime evaluates before every step: each entry has torch's
// argument names and semantics (torch.optim.lr_scheduler) and a `create` that returns the rate
// for a step, plus a hook for schedules that react to metrics (plateau).

const per: ArgSpec = {
  name: 'per',
  type: 'string',
  default: { t: 'str', v: 'epoch' },
  doc: '"step" or "epoch": what k counts',
};

/** k for a schedule counting steps or epochs (0-based). */
function counter(args: BoundArgs): (step: number, epoch: number) => number {
  const v = args.values.get('per');
  return v?.t === 'str' && v.v === 'step' ? (step) => step : (_step, epoch) => epoch;
}

const constant: ScheduleDef = {
  name: 'constant',
  doc: 'A fixed learning rate α(k) = α.',
  args: [],
  create: (_args, { base }) => ({ rate: () => base }),
};

const exponential: ScheduleDef = {
  name: 'exponential',
  doc: 'Exponential decay α(k) = α(1)·γ^(k−1), per epoch (torch ExponentialLR) or per step.',
  args: [
    { name: 'gamma', type: 'number', doc: 'decay factor γ per step or epoch', above: 0, max: 1 },
    per,
  ],
  create(args, { base }) {
    const gamma = numberArg(args, 'gamma');
    const k = counter(args);
    return { rate: (step, epoch) => base * gamma ** k(step, epoch) };
  },
};

const step: ScheduleDef = {
  name: 'step',
  doc: 'Decay by γ every step_size epochs (torch StepLR).',
  args: [
    { name: 'step_size', type: 'int', doc: 'epochs between decays', min: 1 },
    { name: 'gamma', type: 'number', default: num(0.1), doc: 'decay factor', above: 0, max: 1 },
  ],
  create(args, { base }) {
    const size = numberArg(args, 'step_size');
    const gamma = numberArg(args, 'gamma');
    return { rate: (_step, epoch) => base * gamma ** Math.floor(epoch / size) };
  },
};

const multistep: ScheduleDef = {
  name: 'multistep',
  doc: 'Decay by γ at each milestone epoch (torch MultiStepLR).',
  args: [
    { name: 'milestones', type: 'shape', doc: 'epochs (0-based, increasing) at which to decay' },
    { name: 'gamma', type: 'number', default: num(0.1), doc: 'decay factor', above: 0, max: 1 },
  ],
  create(args, { base }) {
    const m = args.values.get('milestones');
    const milestones = m?.t === 'list' ? m.items.map((i) => (i.t === 'num' ? i.v : 0)) : [];
    const gamma = numberArg(args, 'gamma');
    return { rate: (_step, epoch) => base * gamma ** milestones.filter((e) => e <= epoch).length };
  },
};

const cosine: ScheduleDef = {
  name: 'cosine',
  doc: 'Cosine annealing from α to eta_min over T_max epochs (torch CosineAnnealingLR, closed form).',
  args: [
    {
      name: 'T_max',
      type: 'int',
      default: int(0),
      doc: 'epochs of one half-period; 0 = the recipe’s epochs',
      min: 0,
    },
    { name: 'eta_min', type: 'number', default: num(0), doc: 'the final learning rate', min: 0 },
  ],
  create(args, { base, epochs }) {
    const tMax = numberArg(args, 'T_max') || epochs;
    const etaMin = numberArg(args, 'eta_min');
    return {
      rate: (_step, epoch) =>
        etaMin + ((base - etaMin) * (1 + Math.cos((Math.PI * epoch) / tMax))) / 2,
    };
  },
};

const plateau: ScheduleDef = {
  name: 'plateau',
  doc: 'Reduce by `factor` when the monitored metric has not improved for `patience` epochs (torch ReduceLROnPlateau, mode min, relative threshold).',
  args: [
    {
      name: 'factor',
      type: 'number',
      default: num(0.1),
      doc: 'multiplier on a plateau',
      above: 0,
      max: 1,
    },
    {
      name: 'patience',
      type: 'int',
      default: int(10),
      doc: 'epochs without improvement before reducing',
      min: 0,
    },
    {
      name: 'threshold',
      type: 'number',
      default: num(1e-4),
      doc: 'relative improvement that counts',
      min: 0,
    },
    { name: 'min_lr', type: 'number', default: num(0), doc: 'lower bound on the rate', min: 0 },
  ],
  create(args, { base }) {
    const factor = numberArg(args, 'factor');
    const patience = numberArg(args, 'patience');
    const threshold = numberArg(args, 'threshold');
    const minLr = numberArg(args, 'min_lr');
    let lr = base;
    let best = Infinity;
    let bad = 0;
    return {
      rate: () => lr,
      endEpoch(metric) {
        if (metric === undefined) return;
        if (metric < best * (1 - threshold)) {
          best = metric;
          bad = 0;
        } else if (++bad > patience) {
          lr = Math.max(minLr, lr * factor);
          bad = 0;
        }
      },
    };
  },
};

export const SCHEDULES = registry<ScheduleDef>()({
  constant,
  exponential,
  step,
  multistep,
  cosine,
  plateau,
});

/** Linear warm-up over the first `steps` steps, multiplying any schedule (rate·(k+1)/steps). */
export function withWarmup(schedule: Schedule, steps: number): Schedule {
  if (steps <= 0) return schedule;
  return {
    rate: (step, epoch) => schedule.rate(step, epoch) * Math.min(1, (step + 1) / steps),
    endEpoch: schedule.endEpoch?.bind(schedule),
  };
}
