// The report's header: every setting of the recipe as resolved (defaults written out, so two
// runs' headers show what differed), the model's parameter counts, where and how long it ran,
// why it stopped and which weights it ended with.
import type { Model, Recipe, StopCondition } from '../../compiler/index.js';
import { showValue } from '../../compiler/index.js';
import { plural } from '../plural.js';

/** What the run was and how it went, beyond the recipe itself. */
export interface RunFacts {
  recipe: Recipe;
  /** `Fashion: 60,000 train, 10,000 test`. */
  data: string;
  epochs: { asked: number; ran: number; fromCommandLine: boolean };
  steps: number;
  device: string;
  threads: number;
  seconds: number;
  /** Why the run ended, in words. */
  ended: string;
  /** Which weights the final ones are, in words. */
  finalWeights: string;
  /** `--weights FILE` or `--resume DIR`, when the run did not start from the initializers. */
  start?: string;
}

const count = (n: number) => n.toLocaleString('en-US');

type Args = Recipe['optimizer']['args'];

/** `name(a: 1, b: [0.9, 0.999])` with every argument, defaults included. */
export function call(name: string, args: Args | undefined): string {
  const shown = [...(args?.values ?? [])].map(([k, v]) => `${k}: ${showValue(v)}`);
  return shown.length ? `${name}(${shown.join(', ')})` : name;
}

/** Trainable and frozen parameters and buffer values of a model, as at its first epoch. */
export function parameterCounts(model: Model) {
  let [trainable, frozen, buffers] = [0, 0, 0];
  for (const node of model.layers) {
    for (const p of node.params) {
      const size = p.shape.reduce((n, d) => n * d, 1);
      if (p.kind === 'buffer') buffers += size;
      else if (node.frozen) frozen += size;
      else trainable += size;
    }
  }
  return { trainable, frozen, buffers };
}

export function conditionText(c: StopCondition): string {
  if (c.kind === 'compare') return c.text;
  return `${conditionText(c.left)} ${c.kind} ${conditionText(c.right)}`;
}

/** How frozen batch norms compute while training, when the model has any. */
function frozenBatchNorms(model: Model): string | undefined {
  const frozen = model.layers.filter((n) => n.frozen && n.params.some((p) => p.kind === 'buffer'));
  if (frozen.length === 0) return undefined;
  const batchStats = frozen.filter((n) => n.batchStats).length;
  if (batchStats === frozen.length)
    return `${frozen.length}: batch statistics, running statistics updated (train mode)`;
  if (batchStats === 0) return `${frozen.length}: running statistics, unchanged (eval mode)`;
  return `${batchStats} of ${frozen.length} on batch statistics, the rest on running statistics`;
}

function regularizationRows(recipe: Recipe): [string, string][] {
  const reg = recipe.regularization;
  const decay = reg?.weightDecay;
  const rows: [string, string][] = [
    [
      'weight_decay',
      decay
        ? `λ = ${decay.lambda}: penalty λ‖θ‖² beside the data loss${decay.exclude.length ? `, excluding ${decay.exclude.map((w) => JSON.stringify(w)).join(', ')}` : ''}`
        : 'none',
    ],
    [
      'clip',
      !reg?.clip
        ? 'none'
        : reg.clip.kind === 'grad_norm'
          ? `grad_norm(max_norm: ${reg.clip.max})`
          : `grad_value(clip_value: ${reg.clip.value})`,
    ],
    ['sharpness', reg?.sam ? `sam(rho: ${reg.sam.rho})` : 'none'],
  ];
  const groups = reg?.groups ?? [];
  if (groups.length > 0) {
    const each = groups.map((g) => {
      const overrides = [...g.overrides].map(([k, v]) => `${k}: ${showValue(v)}`);
      return `group(${JSON.stringify(g.pattern)}, ${overrides.join(', ')})`;
    });
    rows.push(['groups', each.join('; ')]);
  }
  return rows;
}

function controlRows(recipe: Recipe): [string, string][] {
  const { schedule, stop, earlyStop, checkpoint } = recipe.control;
  const rows: [string, string][] = [
    [
      'schedule',
      schedule
        ? `${call(schedule.def.name, schedule.args)}${schedule.warmup ? `, warm-up ${schedule.warmup} steps` : ''}`
        : 'constant',
    ],
    [
      'stop when',
      stop
        ? `${conditionText(stop.condition)}, checked every ${stop.every === 1 ? '' : `${stop.every} `}${stop.unit}${stop.every === 1 ? '' : 's'} (steps after every step)`
        : 'none',
    ],
    [
      'early_stop',
      earlyStop
        ? `monitor ${earlyStop.monitor} (${earlyStop.mode}), patience ${earlyStop.patience}, min_delta ${earlyStop.minDelta}, restore_best ${earlyStop.restoreBest}`
        : 'none',
    ],
  ];
  if (checkpoint)
    rows.push(['checkpoint', `${checkpoint.dir} every ${checkpoint.every} ${checkpoint.unit}`]);
  for (const stage of recipe.stages ?? []) {
    const shown = stage.paths.length > 3 ? [...stage.paths.slice(0, 3), '…'] : stage.paths;
    rows.push([
      'unfreeze',
      `after epoch ${stage.after}: ${shown.join(', ')} (${stage.paths.length} modules)`,
    ]);
  }
  return rows;
}

/** The header's rows: label, value. */
export function headerRows(f: RunFacts): [string, string][] {
  const { recipe } = f;
  const { trainable, frozen, buffers } = parameterCounts(recipe.model);
  const transform = recipe.transform ? `, transform ${recipe.transform.name}` : '';
  const batchNorms = frozenBatchNorms(recipe.model);
  const epochs = f.epochs.fromCommandLine
    ? `${f.epochs.asked} asked (--epochs; the recipe says ${recipe.epochs}), ${f.epochs.ran} run`
    : `${f.epochs.asked} asked, ${f.epochs.ran} run`;
  return [
    ['model', recipe.model.name],
    [
      'parameters',
      `${count(trainable)} trainable, ${count(frozen)} frozen; ${count(buffers)} buffer values`,
    ],
    ...(batchNorms ? [['frozen batch norms', batchNorms] as [string, string]] : []),
    [
      'data',
      `${f.data}; batch ${recipe.batch}, shuffle ${recipe.shuffle}, drop_last ${recipe.dropLast}${transform}`,
    ],
    ['loss', call(recipe.loss.def.name, recipe.loss.args)],
    ['optimizer', call(recipe.optimizer.def.name, recipe.optimizer.args)],
    ...regularizationRows(recipe),
    [
      'init',
      recipe.init ? call(recipe.init.name, recipe.init.args) : "PyTorch's per-layer defaults",
    ],
    ...controlRows(recipe),
    ['epochs', `${epochs}; ${count(f.steps)} steps`],
    ['seed', String(recipe.seed)],
    ...(f.start ? [['started from', f.start] as [string, string]] : []),
    ['device', `${f.device}, ${plural(f.threads, 'thread')}`],
    ['wall time', wallTime(f.seconds)],
    ['ended', f.ended],
    ['final weights', f.finalWeights],
  ];
}

function wallTime(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${Math.round(seconds - 60 * minutes)} s`;
}
