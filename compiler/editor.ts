// What a spec can write where, for editors (completion, hover, signature help): the checker's
// own registries and tables, gathered in one place, so an editor never keeps a copy that drifts.
import { DATASET_SETTINGS, SOURCES, SPLIT_ARGS } from './check/dataset.js';
import { SOURCE_ARGS } from './check/onnx-network.js';
import { FREEZE_OPTIONS, REPLACE_OPTIONS } from './check/onnx-surgery.js';
import { DATA_OPTIONS, TRAIN_SETTINGS } from './check/recipe.js';
import {
  CLIP_DOCS,
  CLIPS,
  DECAY_OPTIONS,
  groupArgs,
  MONITORS,
  SAM_ARGS,
  SAM_DOC,
} from './check/regularization.js';
import type { ArgSpec } from './vocabulary/args.js';
import { EARLY_STOP_ARGS, WARMUP } from './check/run-control.js';
import { RANGE_DOCS, RANGES, rangeArgs } from './check/sweep-values.js';
import { INITIALIZERS } from './initializers.js';
import { LAYERS } from './layers/registry.js';
import { LOSSES } from './losses.js';
import { OPTIMIZERS } from './optim/registry.js';
import { SCHEDULES } from './schedules.js';
import { STOP_QUANTITIES } from './stopping.js';
import { TRANSFORMS } from './transforms.js';

/** Something a spec calls or names: a registry entry, its doc and arguments, and what it is. */
export interface Callee {
  name: string;
  doc: string;
  args: readonly ArgSpec[];
  /** What kind of thing it is, in words: "layer", "optimizer", "data source" … */
  what: string;
}

/** A word a spec may write in a place (a setting, a stop quantity, a keyword), with its doc. */
export interface Word {
  name: string;
  doc: string;
}

/** What may follow `name =` of a setting: callees, a declared name, or words; then options. */
export interface SettingValue {
  callees?: readonly Callee[];
  declared?: 'network' | 'dataset';
  words?: readonly Word[];
  /** `, name: value` options after the value. */
  options?: readonly ArgSpec[];
}

const entries = (
  registry: ReadonlyMap<string, { doc: string; args: readonly ArgSpec[] }>,
  what: string,
): Callee[] => [...registry].map(([name, e]) => ({ name, doc: e.doc, args: e.args, what }));

const listed = (
  list: readonly { name: string; doc: string; args: readonly ArgSpec[] }[],
  what: string,
) => list.map((e) => ({ ...e, what }));

const [Concat] = entries(LAYERS, 'layer').filter((l) => l.name === 'Concat');

export const CALLEES = {
  /** Layers a chain stage can apply: one input each (`+` and `concat` combine several). */
  layers: entries(LAYERS, 'layer').filter((l) => LAYERS.get(l.name)?.inputs !== 'several'),
  losses: entries(LOSSES, 'loss'),
  optimizers: entries(OPTIMIZERS, 'optimizer'),
  schedules: entries(SCHEDULES, 'schedule'),
  initializers: entries(INITIALIZERS, 'initializer'),
  transforms: entries(TRANSFORMS, 'transform'),
  sources: entries(SOURCES, 'data source'),
  split: listed(
    [{ name: 'split', doc: 'examples taken out of the training split', args: SPLIT_ARGS }],
    'validation split',
  ),
  clips: Object.entries(CLIPS).map(([name, args]) => ({
    name,
    doc: CLIP_DOCS[name],
    args,
    what: 'gradient clipping',
  })),
  sharpness: listed(
    [{ name: 'sam', doc: SAM_DOC, args: SAM_ARGS }],
    'sharpness-aware minimization',
  ),
  earlyStop: listed(
    [{ name: 'early_stop', doc: 'stop when a metric stops improving', args: EARLY_STOP_ARGS }],
    'train statement',
  ),
  onnx: listed(
    [{ name: 'onnx', doc: 'a network imported from an ONNX file', args: SOURCE_ARGS }],
    'imported network',
  ),
  /** A sweep key's values drawn from a range: `optimizer.lr = log_uniform(1e-4, 1e-1, n: 4)`. */
  ranges: RANGES.map((name) => ({
    name,
    doc: RANGE_DOCS[name],
    args: rangeArgs(name),
    what: 'sweep range',
  })),
  /** `concat(a, b, dim: 1)`: the Concat layer, called by its own name. */
  concat: [{ ...Concat, name: 'concat' }],
} as const;

/** `group("layer4.*", lr: 1e-4)`: an optimizer's arguments for the parameters a pattern matches. */
export function groupCallee(optimizerArgs: readonly ArgSpec[] = []): Callee {
  return {
    name: 'group',
    doc: 'optimizer arguments for the parameters whose path matches the pattern (torch.optim param_groups)',
    args: groupArgs(optimizerArgs),
    what: 'parameter group',
  };
}

export const TRAIN_SETTING_WORDS: readonly (Word & { required: boolean })[] = [
  ...TRAIN_SETTINGS,
].map(([name, s]) => ({ name, ...s }));

export const DATASET_SETTING_WORDS: readonly Word[] = [...DATASET_SETTINGS].map(([name, doc]) => ({
  name,
  doc,
}));

export const STOP_QUANTITY_WORDS: readonly Word[] = [...STOP_QUANTITIES].map(([name, doc]) => ({
  name,
  doc,
}));

/** Statements of a train block that are not `name = value` settings. */
export const TRAIN_STATEMENTS: readonly Word[] = [
  { name: 'stop', doc: 'stop when <quantity> <op> <number>, joined by or/and' },
  { name: 'checkpoint', doc: 'checkpoint "dir" every N epochs (or steps)' },
  { name: 'unfreeze', doc: 'unfreeze <module pattern> after N epochs: a later training stage' },
  { name: 'early_stop', doc: 'early_stop(monitor: val_loss, patience: 3)' },
];

/** Statements of an imported network's body. */
export const SURGERY_STATEMENTS: readonly Word[] = [
  {
    name: 'freeze',
    doc: 'freeze <module patterns> [, batch_stats: true]: parameters become constants',
  },
  { name: 'unfreeze', doc: 'unfreeze <module patterns>: train them again' },
  { name: 'replace', doc: 'replace <module> with <layer>: a new, trainable layer in its place' },
  { name: 'remove', doc: 'remove <module>: its input flows on' },
  { name: 'insert', doc: 'insert <layer> after <module>' },
];

export { FREEZE_OPTIONS, REPLACE_OPTIONS };

const MONITOR_WORDS: readonly Word[] = MONITORS.map((name) => ({
  name,
  doc: STOP_QUANTITIES.get(name) ?? 'a train-step statistic to log',
}));

/** What the value of a train setting may be; `optimizerArgs` gives `group(…)` its arguments. */
export function trainSettingValue(
  setting: string,
  optimizerArgs?: readonly ArgSpec[],
): SettingValue | undefined {
  switch (setting) {
    case 'model':
      return { declared: 'network' };
    case 'data':
      return { declared: 'dataset', options: DATA_OPTIONS };
    case 'loss':
      return { callees: CALLEES.losses };
    case 'optimizer':
      return { callees: CALLEES.optimizers };
    case 'schedule':
      return { callees: CALLEES.schedules, options: WARMUP };
    case 'init':
      return { callees: CALLEES.initializers };
    case 'clip':
      return { callees: CALLEES.clips };
    case 'sharpness':
      return { callees: CALLEES.sharpness };
    case 'monitor':
      return { words: MONITOR_WORDS };
    case 'groups':
      return { callees: [groupCallee(optimizerArgs)] };
    case 'weight_decay':
      return { options: DECAY_OPTIONS };
    case 'epochs':
    case 'seed':
      return {};
    default:
      return undefined;
  }
}

/** What the value of a dataset setting may be. */
export function datasetSettingValue(setting: string): SettingValue | undefined {
  switch (setting) {
    case 'train':
    case 'test':
      return { callees: CALLEES.sources };
    case 'validation':
      return { callees: [...CALLEES.sources, ...CALLEES.split] };
    case 'classes':
      return {};
    default:
      return undefined;
  }
}

/** Every callee by name, for hover: the first registry that has it. */
export function calleeNamed(name: string): Callee | undefined {
  for (const list of Object.values(CALLEES)) {
    const found = (list as readonly Callee[]).find((c) => c.name === name);
    if (found) return found;
  }
  return name === 'group' ? groupCallee() : undefined;
}
