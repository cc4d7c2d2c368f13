// Checks a `train` declaration: every setting resolves (model, data, loss, optimizer…), the
// model is instantiated with its arguments, and its output fits the loss and the classes.
import type {
  Assignment,
  BlockDecl,
  Diagnostic,
  Expr,
  NetworkDecl,
  Span,
  TrainDecl,
  UnfreezeAfterStatement,
} from '../../grammar/index.js';
import { diagnostic } from '../../grammar/index.js';
import { CODES } from '../codes.js';
import { LOSSES } from '../losses.js';
import { OPTIMIZERS } from '../optim/registry.js';
import { bindArgs } from './args.js';
import { didYouMean } from './names.js';
import type { Located } from './network.js';
import { bindParams, checkNetwork } from './network.js';
import { checkRegularization, REGULARIZATION_SETTINGS } from './regularization.js';
import { RunControlChecker } from './run-control.js';
import { checkStages } from './stages.js';
import type { ArgSpec, BoundArgs } from '../vocabulary/args.js';
import { boolArg, numberArg } from '../vocabulary/args.js';
import { bool, int } from '../vocabulary/values.js';
import type {
  DatasetSpec,
  Model,
  Recipe,
  Regularization,
  TransformSpec,
} from '../vocabulary/model.js';

export interface Declarations {
  networks: ReadonlyMap<string, Located<NetworkDecl>>;
  blocks: ReadonlyMap<string, Located<BlockDecl>>;
  /** Networks imported from ONNX files (undefined: the import failed, already reported). */
  imported: ReadonlyMap<string, Model | undefined>;
  datasets: ReadonlyMap<string, DatasetSpec | undefined>;
  /** Checked `transform` blocks (undefined: declared but with errors, already reported). */
  transforms?: ReadonlyMap<string, TransformSpec | undefined>;
}

/** The settings of a train block; `required` ones must be present. */
export const TRAIN_SETTINGS: ReadonlyMap<string, { doc: string; required: boolean }> = new Map([
  [
    'model',
    { doc: 'the network to train, with arguments: Net() or Net(classes: 10)', required: true },
  ],
  ['data', { doc: 'the dataset, with options: Fashion, batch: 64, shuffle: true', required: true }],
  ['loss', { doc: 'the loss, e.g. cross_entropy', required: true }],
  ['optimizer', { doc: 'the optimizer, e.g. SGD(lr: 0.1, momentum: 0.9)', required: true }],
  ['epochs', { doc: 'passes over the training data', required: true }],
  ['seed', { doc: 'seed for initialization and shuffling (default 0)', required: false }],
  [
    'schedule',
    {
      doc: 'the learning-rate schedule, e.g. exponential(gamma: 0.99), warmup: 500',
      required: false,
    },
  ],
  ...REGULARIZATION_SETTINGS,
]);

/** The options of `data = Dataset, batch: 64, …`. */
export const DATA_OPTIONS: ArgSpec[] = [
  { name: 'batch', type: 'int', default: int(64), doc: 'examples per step', min: 1 },
  {
    name: 'shuffle',
    type: 'bool',
    default: bool(true),
    doc: 'reshuffle the training data every epoch',
  },
  {
    name: 'drop_last',
    type: 'bool',
    default: bool(false),
    doc: 'drop the last, smaller batch of each epoch',
  },
  {
    name: 'transform',
    type: 'any',
    default: { t: 'name', name: 'None' },
    doc: 'a transform block applied to every example (random steps to the training split only)',
  },
];

/** The settings whose value is one whole number, with their bounds. */
export const NUMBER_SETTINGS: ReadonlyMap<string, ArgSpec> = new Map([
  ['epochs', { name: 'epochs', type: 'int', doc: 'passes over the training data', min: 1 }],
  ['seed', { name: 'seed', type: 'int', doc: 'seed for initialization and shuffling', min: 0 }],
]);

/**
 * Checks one setting on its own, reporting in `file`: a sweep's alternative for it
 * (`optimizer = [SGD(lr: 0.1), Adam]`) is checked where the sweep writes it.
 */
export function checkSetting(
  setting: Assignment,
  file: string,
  declarations: Declarations,
  diags: Diagnostic[],
  optimizerArgs?: ArgSpec[],
): void {
  const key = setting.target.name;
  const checker = new SettingChecker(file, declarations, diags);
  const numeric = NUMBER_SETTINGS.get(key);
  if (numeric) checker.integer(setting, numeric.min!);
  else if (key === 'model') checker.model(setting);
  else if (key === 'data') checker.data(setting);
  else if (key === 'loss') checker.loss(setting);
  else if (key === 'optimizer') checker.optimizer(setting);
  else if (key === 'schedule') new RunControlChecker(file, diags).schedule(setting);
  else checkRegularization((k) => (k === key ? setting : undefined), file, diags, optimizerArgs);
}

export function checkRecipe(
  decl: TrainDecl,
  file: string,
  declarations: Declarations,
  diags: Diagnostic[],
): Recipe | undefined {
  const settings = new Map<string, Assignment>();
  const control = new RunControlChecker(file, diags);
  const unfreezes: UnfreezeAfterStatement[] = [];
  for (const statement of decl.body) {
    if (control.statement(statement)) continue;
    if (statement.kind === 'UnfreezeAfter') unfreezes.push(statement);
    if (statement.kind !== 'Assignment') continue;
    const setting = statement;
    const key = setting.target.name;
    if (!TRAIN_SETTINGS.has(key)) {
      const message = `a train block has no setting '${key}'${didYouMean(key, TRAIN_SETTINGS.keys())}`;
      diags.push(diagnostic(CODES.unknownSetting, message, file, setting.target.span));
    } else if (settings.has(key)) {
      diags.push(
        diagnostic(CODES.duplicateDeclaration, `'${key}' is set twice`, file, setting.target.span),
      );
    } else settings.set(key, setting);
  }
  const missing = [...TRAIN_SETTINGS].filter(([key, info]) => info.required && !settings.has(key));
  if (missing.length > 0) {
    const names = missing.map(([key]) => `'${key}'`);
    const list =
      missing.length === 1
        ? `${names[0]}: ${missing[0][1].doc}`
        : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
    const message = `train '${decl.name.name}' needs ${list}`;
    diags.push(diagnostic(CODES.missingSetting, message, file, decl.name.span));
  }
  const checker = new SettingChecker(file, declarations, diags);
  const get = (key: string) => settings.get(key);
  const model = checker.model(get('model'));
  const data = checker.data(get('data'));
  const loss = checker.loss(get('loss'));
  const optimizer = checker.optimizer(get('optimizer'));
  const epochs = checker.integer(get('epochs'), NUMBER_SETTINGS.get('epochs')!.min!);
  const seed = checker.integer(get('seed'), NUMBER_SETTINGS.get('seed')!.min!) ?? 0;
  const schedule = get('schedule');
  if (schedule) control.schedule(schedule);
  if (model && data && loss) {
    const problem = loss.def.check(model.outputShape, data.dataset.classes?.length);
    if (problem) diags.push(diagnostic(CODES.lossMismatch, problem, file, get('loss')!.value.span));
  }
  if (model && data) checkDataShape(model, data, get('data')!, file, diags);
  if (data) control.checkHeldOut(data.dataset);
  const extras = checkRegularization(get, file, diags, optimizer?.def.args);
  if (optimizer && extras) checkGroupRates(optimizer.args, extras.regularization, get, file, diags);
  const stages = model && unfreezes.length > 0 ? checkStages(unfreezes, model, file, diags) : [];
  if (!model || !data || !loss || !optimizer || epochs === undefined || !extras || !stages)
    return undefined;
  return {
    ...extras,
    name: decl.name.name,
    file,
    span: decl.name.span,
    model,
    ...data,
    loss,
    optimizer,
    epochs,
    seed,
    control: control.control,
    ...(stages.length > 0 ? { stages } : {}),
  };
}

class SettingChecker {
  constructor(
    private file: string,
    private declarations: Declarations,
    private diags: Diagnostic[],
  ) {}

  model(setting: Assignment | undefined): Model | undefined {
    if (!setting) return undefined;
    const call = callParts(setting.value);
    if (!call)
      return this.fail(
        setting.value,
        "'model' must name a network, e.g. Net() or Net(classes: 10)",
      );
    if (this.declarations.imported.has(call.name)) {
      if (call.args.length > 0) {
        return this.fail(
          setting.value,
          `network '${call.name}' is imported from ONNX and takes no arguments`,
        );
      }
      return this.declarations.imported.get(call.name);
    }
    const network = this.declarations.networks.get(call.name);
    if (!network) {
      const known = [...this.declarations.networks.keys(), ...this.declarations.imported.keys()];
      const hint = didYouMean(call.name, known);
      return this.fail(call.nameExpr, `unknown network '${call.name}'${hint}`, CODES.unknownName);
    }
    const { params } = network.decl;
    const what = `network ${call.name}`;
    const span = setting.value.span;
    const constants = bindParams(params, call.args, what, this.file, span, new Map(), this.diags);
    if (!constants) return undefined;
    return checkNetwork(network, constants, this.declarations.blocks, this.diags);
  }

  data(setting: Assignment | undefined) {
    if (!setting) return undefined;
    const value = setting.value;
    if (value.kind !== 'Name')
      return this.fail(value, "'data' must name a dataset, e.g. data = Fashion, batch: 64");
    const ctx = { what: 'data', file: this.file, span: setting.span, constants: new Map() };
    const options = bindArgs(setting.options, DATA_OPTIONS, ctx, this.diags);
    if (!this.declarations.datasets.has(value.name)) {
      const hint = didYouMean(value.name, this.declarations.datasets.keys());
      return this.fail(value, `unknown dataset '${value.name}'${hint}`, CODES.unknownName);
    }
    const dataset = this.declarations.datasets.get(value.name);
    if (!dataset || !options) return undefined;
    const transform = this.transform(options);
    if (transform === null) return undefined;
    return {
      dataset,
      batch: numberArg(options, 'batch'),
      shuffle: boolArg(options, 'shuffle'),
      dropLast: boolArg(options, 'drop_last'),
      transform,
    };
  }

  /** The `transform:` option resolved to its checked block; null after reporting a problem. */
  private transform(options: BoundArgs): TransformSpec | undefined | null {
    const value = options.values.get('transform');
    if (!value || (value.t === 'name' && value.name === 'None')) return undefined;
    const span = options.spans.get('transform')!;
    const known = this.declarations.transforms ?? new Map<string, TransformSpec | undefined>();
    if (value.t !== 'name' || !known.has(value.name)) {
      const name = value.t === 'name' ? value.name : '';
      const message = `'transform' must name a transform block${name ? `; unknown transform '${name}'${didYouMean(name, known.keys())}` : ''}`;
      this.diags.push(diagnostic(CODES.unknownName, message, this.file, span));
      return null;
    }
    return known.get(value.name) ?? null;
  }

  loss(setting: Assignment | undefined) {
    return this.registryCall(setting, LOSSES, 'loss');
  }

  optimizer(setting: Assignment | undefined) {
    const optimizer = this.registryCall(setting, OPTIMIZERS, 'optimizer');
    // Some argument combinations are invalid together (SGD: Nesterov needs momentum).
    const problem = optimizer?.def.check?.(optimizer.args);
    if (!optimizer || !problem) return optimizer;
    const span = optimizer.args.spans.get(problem.arg) ?? setting!.value.span;
    return this.fail({ span }, `${optimizer.def.name}: ${problem.message}`, CODES.argumentRange);
  }

  /** `name` or `name(args)` looked up in a registry of entries with argument lists. */
  private registryCall<T extends { name: string; args: ArgSpec[] }>(
    setting: Assignment | undefined,
    registry: ReadonlyMap<string, T>,
    what: string,
  ): { def: T; args: BoundArgs } | undefined {
    if (!setting) return undefined;
    const call = callParts(setting.value);
    const def = call && registry.get(call.name);
    if (!call || !def) {
      const hint = call ? didYouMean(call.name, registry.keys()) : '';
      const known = [...registry.keys()].join(', ');
      const message = `unknown ${what} '${call?.name ?? '?'}'${hint} (known: ${known})`;
      return this.fail(call?.nameExpr ?? setting.value, message, CODES.unknownName);
    }
    const ctx = { what: def.name, file: this.file, span: setting.value.span, constants: new Map() };
    const args = bindArgs(call.args, def.args, ctx, this.diags);
    return args && { def, args };
  }

  integer(setting: Assignment | undefined, min: number): number | undefined {
    if (!setting) return undefined;
    const ctx = {
      what: setting.target.name,
      file: this.file,
      span: setting.span,
      constants: new Map(),
    };
    const spec: ArgSpec = { name: setting.target.name, type: 'int', doc: '', min };
    const arg = {
      kind: 'Argument' as const,
      name: null,
      value: setting.value,
      span: setting.value.span,
    };
    const bound = bindArgs([arg], [spec], ctx, this.diags);
    return bound && numberArg(bound, spec.name);
  }

  private fail(
    expr: { span: Span },
    message: string,
    code: string = CODES.argumentType,
  ): undefined {
    this.diags.push(diagnostic(code, message, this.file, expr.span));
    return undefined;
  }
}

/** `Net(a: 1)` or a bare `Net`, as a name and arguments. */
function callParts(expr: Expr) {
  if (expr.kind === 'Call') {
    return { name: expr.callee.name, nameExpr: expr.callee, args: expr.args };
  }
  if (expr.kind === 'Name') return { name: expr.name, nameExpr: expr, args: [] };
  return undefined;
}

/**
 * A dataset that declares its image shape (csv, images) must fit the network's input, unless a
 * transform reshapes the images (then the runtime checks the transform's output).
 */
function checkDataShape(
  model: Model,
  data: { dataset: DatasetSpec; transform?: unknown },
  setting: Assignment,
  file: string,
  diags: Diagnostic[],
): void {
  const source = data.dataset.train;
  if (data.transform || !('shape' in source)) return;
  const expected = model.input.shape.slice(1);
  if (source.shape.join() === expected.join()) return;
  const where = source.kind === 'csv' ? source.images : source.dir;
  const related = [
    {
      message: `dataset '${data.dataset.name}' declares its images here`,
      file: where.file,
      span: where.span,
    },
  ];
  const message = `dataset '${data.dataset.name}' has images of shape [${source.shape.join(', ')}], but network '${model.name}' takes [${expected.join(', ')}]`;
  diags.push(diagnostic(CODES.shapeMismatch, message, file, setting.value.span, related));
}

/**
 * A group's lr is a multiple of the optimizer's, so that the schedule drives both; with the
 * optimizer's lr at 0 there is no multiple, and a group's own lr could not be followed.
 */
function checkGroupRates(
  args: BoundArgs,
  regularization: Regularization,
  get: (key: string) => Assignment | undefined,
  file: string,
  diags: Diagnostic[],
): void {
  if (numberArg(args, 'lr') !== 0) return;
  const moving = regularization.groups.filter((g) => {
    const lr = g.overrides.get('lr');
    return lr?.t === 'num' && lr.v !== 0;
  });
  if (moving.length === 0) return;
  const message = `group "${moving[0].pattern}" sets its own lr, but the optimizer's lr is 0: a group's lr is a multiple of the optimizer's (so the schedule drives both); give the optimizer a learning rate`;
  diags.push(diagnostic(CODES.argumentRange, message, file, get('groups')!.value.span));
}
