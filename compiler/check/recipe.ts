// Checks a `train` declaration: every setting resolves (model, data, loss, optimizer…), the
// model is instantiated with its arguments, and its output fits the loss and the classes.
import type { Assignment, Diagnostic, Expr, NetworkDecl, TrainDecl } from '../../grammar/index.js';
import { diagnostic } from '../../grammar/index.js';
import { CODES } from '../codes.js';
import { LOSSES } from '../losses.js';
import { OPTIMIZERS } from '../optim/registry.js';
import type { ArgSpec, BoundArgs } from './args.js';
import { bindArgs, bool, boolArg, int, numberArg } from './args.js';
import type { DatasetSpec, Model, Recipe } from './model.js';
import { didYouMean } from './names.js';
import { checkNetwork } from './network.js';
import type { SpecValue } from './values.js';

export interface Declarations {
  networks: ReadonlyMap<string, NetworkDecl>;
  datasets: ReadonlyMap<string, DatasetSpec | undefined>;
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
]);

const DATA_OPTIONS: ArgSpec[] = [
  { name: 'batch', type: 'int', default: int(64), doc: 'examples per step', min: 1 },
  {
    name: 'shuffle',
    type: 'bool',
    default: bool(true),
    doc: 'reshuffle the training data every epoch',
  },
];

export function checkRecipe(
  decl: TrainDecl,
  file: string,
  declarations: Declarations,
  diags: Diagnostic[],
): Recipe | undefined {
  const settings = new Map<string, Assignment>();
  for (const statement of decl.body) {
    if (statement.kind !== 'Assignment') {
      const message = 'this train statement is not supported yet';
      diags.push(diagnostic(CODES.unknownSetting, message, file, statement.span));
      continue;
    }
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
  for (const [key, info] of TRAIN_SETTINGS) {
    if (info.required && !settings.has(key)) {
      const message = `train '${decl.name.name}' needs '${key}': ${info.doc}`;
      diags.push(diagnostic(CODES.missingSetting, message, file, decl.name.span));
    }
  }
  const checker = new SettingChecker(file, declarations, diags);
  const get = (key: string) => settings.get(key);
  const model = checker.model(get('model'));
  const data = checker.data(get('data'));
  const loss = checker.loss(get('loss'));
  const optimizer = checker.optimizer(get('optimizer'));
  const epochs = checker.integer(get('epochs'), 1);
  const seed = checker.integer(get('seed'), 0) ?? 0;
  if (model && data && loss) {
    const problem = loss.def.check(model.outputShape, data.dataset.classes?.length);
    if (problem) diags.push(diagnostic(CODES.lossMismatch, problem, file, get('loss')!.value.span));
  }
  if (!model || !data || !loss || !optimizer || epochs === undefined) return undefined;
  return {
    name: decl.name.name,
    file,
    span: decl.name.span,
    model,
    ...data,
    loss,
    optimizer,
    epochs,
    seed,
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
    const decl = this.declarations.networks.get(call.name);
    if (!decl) {
      const hint = didYouMean(call.name, this.declarations.networks.keys());
      return this.fail(call.nameExpr, `unknown network '${call.name}'${hint}`, CODES.unknownName);
    }
    const specs: ArgSpec[] = decl.params.map((p) => ({
      name: p.name.name,
      type: 'any',
      default: p.default ? literal(p.default) : undefined,
      doc: `parameter of network ${decl.name.name}`,
    }));
    const before = this.diags.length;
    const ctx = {
      what: `network ${call.name}`,
      file: this.file,
      span: setting.value.span,
      constants: new Map(),
    };
    const args = bindArgs(call.args, specs, ctx, this.diags);
    if (this.diags.length > before) return undefined;
    return checkNetwork(decl, this.file, args.values, this.diags);
  }

  data(setting: Assignment | undefined) {
    if (!setting) return undefined;
    const value = setting.value;
    if (value.kind !== 'Name')
      return this.fail(value, "'data' must name a dataset, e.g. data = Fashion, batch: 64");
    if (!this.declarations.datasets.has(value.name)) {
      const hint = didYouMean(value.name, this.declarations.datasets.keys());
      return this.fail(value, `unknown dataset '${value.name}'${hint}`, CODES.unknownName);
    }
    const dataset = this.declarations.datasets.get(value.name);
    const before = this.diags.length;
    const ctx = { what: 'data', file: this.file, span: setting.span, constants: new Map() };
    const options = bindArgs(setting.options, DATA_OPTIONS, ctx, this.diags);
    if (!dataset || this.diags.length > before) return undefined;
    return { dataset, batch: numberArg(options, 'batch'), shuffle: boolArg(options, 'shuffle') };
  }

  loss(setting: Assignment | undefined) {
    return this.registryCall(setting, LOSSES, 'loss');
  }

  optimizer(setting: Assignment | undefined) {
    return this.registryCall(setting, OPTIMIZERS, 'optimizer');
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
    const before = this.diags.length;
    const ctx = { what: def.name, file: this.file, span: setting.value.span, constants: new Map() };
    const args = bindArgs(call.args, def.args, ctx, this.diags);
    return this.diags.length > before ? undefined : { def, args };
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
    const before = this.diags.length;
    const bound = bindArgs([arg], [spec], ctx, this.diags);
    return this.diags.length > before ? undefined : numberArg(bound, spec.name);
  }

  private fail(expr: Expr, message: string, code: string = CODES.argumentType): undefined {
    this.diags.push(diagnostic(code, message, this.file, expr.span));
    return undefined;
  }
}

/** `Net(a: 1)` or a bare `Net`, as a name and arguments. */
function callParts(expr: Expr) {
  if (expr.kind === 'Call') return { name: expr.callee.name, nameExpr: expr, args: expr.args };
  if (expr.kind === 'Name') return { name: expr.name, nameExpr: expr, args: [] };
  return undefined;
}

/** Parameter defaults are literals; anything else is reported when the parameter is used. */
function literal(expr: Expr): SpecValue | undefined {
  if (expr.kind === 'Number') return { t: 'num', v: expr.value, int: expr.isInteger };
  if (expr.kind === 'String') return { t: 'str', v: expr.value };
  if (expr.kind === 'Boolean') return { t: 'bool', v: expr.value };
  return undefined;
}
