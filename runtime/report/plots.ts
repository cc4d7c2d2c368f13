// The report's plots. Per-step values (the training data loss and accuracy, the learning rate,
// the train step's monitors) are drawn on a step axis, raw as a faint line under a smoothed
// curve; per-epoch values (epoch means, held-out results, the gap) are dots at the step where
// their epoch ended, on the same axis, with the epoch boundaries marked along the top.
import type { EpochMetrics } from '../train.js';
import type { StepLog } from '../step-log.js';
import type { ChartSpec, Series } from './chart.js';
import { formatTick, lineChart } from './chart.js';
import { generalizationGap } from './tables.js';

const percentTick = (y: number, step: number) => `${formatTick(100 * y, 100 * step)}%`;

/**
 * An exponential moving average with its start debiased (TensorBoard's smoothing), over a
 * window of about 1/40 of the run: smooth enough to read, short enough to follow the curve.
 */
export function smoothed(values: readonly number[]): number[] {
  const window = Math.max(1, Math.round(values.length / 40));
  const keep = 1 - 1 / window;
  let average = 0;
  let weight = 0;
  return values.map((v) => {
    if (!Number.isFinite(v)) return v;
    average = keep * average + (1 - keep) * v;
    weight = keep * weight + (1 - keep);
    return average / weight;
  });
}

const MONITOR_TITLES: Record<string, string> = {
  grad_norm: 'Minibatch gradient norm ‖∇f_B(θ)‖',
  param_norm: 'Parameter norm ‖θ‖',
  grad_variance: 'Minibatch gradient variance',
};

const TERM_NAMES: Record<string, string> = {
  penalty: 'penalty λ‖θ‖²',
  sam_loss: 'SAM ascent loss',
};

/** Where each epoch's values go on the x axis: its last step, or its number without a step log. */
function epochAxis(history: EpochMetrics[], steps: StepLog | undefined) {
  const lastStep = new Map<number, number>();
  steps?.epoch.forEach((e, i) => lastStep.set(e, steps.step[i]));
  const byStep = steps !== undefined && history.every((m) => lastStep.has(m.epoch));
  const x = (m: EpochMetrics) => (byStep ? lastStep.get(m.epoch)! : m.epoch);
  const marks = byStep
    ? history.map((m) => ({ at: x(m), label: `epoch ${m.epoch}${m.partial ? ' (part)' : ''}` }))
    : undefined;
  return { byStep, x, marks, label: byStep ? 'step' : 'epoch' };
}

type Axis = ReturnType<typeof epochAxis>;

function epochSeries(
  history: EpochMetrics[],
  axis: Axis,
  name: string,
  pick: (m: EpochMetrics) => number | undefined,
  color: number,
): Series[] {
  const points = history
    .map((m) => [axis.x(m), pick(m)] as [number, number | undefined])
    .filter((p): p is [number, number] => p[1] !== undefined);
  if (points.length === 0) return [];
  return [{ name, points, color, style: axis.byStep && points.length === 1 ? 'points' : 'line' }];
}

/** A per-step column as a faint raw line and its smoothed curve, or one line when short. */
function stepSeries(steps: StepLog, values: number[] | undefined, name: string, color: number) {
  if (!values || values.length === 0) return [];
  const raw = steps.step.map((s, i) => [s, values[i]] as [number, number]);
  if (values.length < 20) return [{ name, points: raw, color }];
  const smooth = smoothed(values).map((v, i) => [steps.step[i], v] as [number, number]);
  return [
    { name: `${name}, per step`, points: raw, color, style: 'faint' as const },
    { name: `${name}, smoothed`, points: smooth, color },
  ];
}

/** The plots' SVG files, by file name, in the order the page shows them. */
export function reportPlots(history: EpochMetrics[], steps?: StepLog): Record<string, string> {
  const axis = epochAxis(history, steps);
  const logged = axis.byStep ? steps : undefined;
  const chart = (spec: Omit<ChartSpec, 'xLabel' | 'marks'>) =>
    lineChart({ ...spec, xLabel: axis.label, marks: axis.marks });
  const epoch = (name: string, pick: (m: EpochMetrics) => number | undefined, color: number) =>
    epochSeries(history, axis, name, pick, color);
  const plots: Record<string, string> = {
    'loss.svg': chart({
      title: 'Data loss (without regularization terms)',
      yLabel: 'loss',
      series: [
        ...(logged ? stepSeries(logged, logged.loss, 'train', 0) : []),
        ...epoch('train, epoch mean', (m) => m.trainLoss, logged ? 3 : 0),
        ...epoch('validation', (m) => m.valLoss, 1),
        ...epoch('test', (m) => m.testLoss, 2),
      ],
    }),
    'accuracy.svg': chart({
      title: 'Accuracy',
      yLabel: 'accuracy',
      formatY: percentTick,
      series: [
        ...(logged ? stepSeries(logged, logged.accuracy, 'train', 0) : []),
        ...epoch('train, epoch', (m) => m.trainAccuracy, logged ? 3 : 0),
        ...epoch('validation', (m) => m.valAccuracy, 1),
        ...epoch('test', (m) => m.testAccuracy, 2),
      ],
    }),
    'gap.svg': chart({
      // Validation loss when there is a validation split, else test loss.
      title: 'Generalization gap (held-out − train data loss)',
      yLabel: 'loss gap',
      series: epoch('gap', generalizationGap, 0),
    }),
    'lr.svg': chart({
      title: 'Learning rate',
      yLabel: 'learning rate',
      series: logged
        ? [{ name: 'lr', points: logged.step.map((s, i) => [s, logged.lr[i]]) }]
        : epoch('lr (last step of each epoch)', (m) => m.lr, 0),
    }),
  };
  const terms = termNames(history, logged);
  if (terms.length > 0)
    plots['terms.svg'] = chart({
      title: 'Terms beside the data loss',
      yLabel: 'value',
      series: terms.flatMap((t, k) =>
        logged
          ? stepSeries(logged, logged.terms[t], TERM_NAMES[t] ?? t, k)
          : epoch(TERM_NAMES[t] ?? t, (m) => m.terms?.[t], k),
      ),
    });
  for (const monitor of monitorNames(history)) {
    const full = monitor === 'grad_norm' ? epoch('‖∇f(θ)‖, full training set', fullNorm, 1) : [];
    plots[`${monitor.replace(/_/g, '-')}.svg`] = chart({
      title: MONITOR_TITLES[monitor] ?? monitor,
      yLabel: monitor.replace(/_/g, ' '),
      series: [
        ...(logged?.monitors[monitor]
          ? stepSeries(logged, logged.monitors[monitor], monitor.replace(/_/g, ' '), 0)
          : epoch(`${monitor} (last step of each epoch)`, (m) => m.monitors?.[monitor], 0)),
        ...full,
      ],
    });
  }
  return plots;
}

const fullNorm = (m: EpochMetrics) => m.monitors?.full_grad_norm;

/** The train step's monitors present in any epoch (grad_norm, param_norm, grad_variance), in a fixed order. */
export function monitorNames(history: EpochMetrics[]): string[] {
  const seen = new Set(history.flatMap((m) => Object.keys(m.monitors ?? {})));
  const known = ['grad_norm', 'param_norm', 'grad_variance', 'full_grad_norm'];
  const rest = [...seen].filter((k) => !known.includes(k));
  return [...known.filter((k) => seen.has(k) && k !== 'full_grad_norm'), ...rest];
}

/** The loss terms a run has (penalty, sam_loss). */
export function termNames(history: EpochMetrics[], steps?: StepLog): string[] {
  const names = new Set([
    ...history.flatMap((m) => Object.keys(m.terms ?? {})),
    ...Object.keys(steps?.terms ?? {}),
  ]);
  return ['penalty', 'sam_loss'].filter((t) => names.has(t));
}
