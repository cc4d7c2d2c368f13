// Checks a `sweep` declaration and expands it into trials. Each key must name a setting,
// option or argument of its train block (sweep-keys.ts); each value is checked where the sweep
// writes it, as the train block's own would be; then every combination is written into the
// train block (sweep-trials.ts) and checked as a recipe, so a combination that cannot run
// (SGD's nesterov without momentum) is found before anything runs.
import type {
  Diagnostic,
  Expr,
  Identifier,
  SweepDecl,
  SweepEntry,
  TrainDecl,
} from '../../grammar/index.js';
import { diagnostic, exprText } from '../../grammar/index.js';
import { CODES } from '../codes.js';
import { evaluateArg } from './args.js';
import type { SweepSpec, SweepTrial } from '../vocabulary/model.js';
import { didYouMean } from './names.js';
import type { Located } from './network.js';
import type { Declarations } from './recipe.js';
import { checkRecipe, checkSetting } from './recipe.js';
import type { SweepTarget } from './sweep-keys.js';
import { KeyResolver } from './sweep-keys.js';
import type { Change } from './sweep-trials.js';
import { trialDecl } from './sweep-trials.js';
import { keyValues } from './sweep-values.js';
import type { ArgSpec } from '../vocabulary/args.js';
import type { Recipe } from '../vocabulary/model.js';

/** More trials than this is a mistake, not a sweep (and would take long to check). */
export const MAX_TRIALS = 10_000;
/** Trials that do not check, reported one by one before the rest are counted. */
const SHOWN_FAILURES = 3;

interface Dimension {
  key: Identifier;
  target: SweepTarget;
  values: Expr[];
}

export interface SweepContext {
  trains: ReadonlyMap<string, Located<TrainDecl>>;
  recipes: ReadonlyMap<string, Recipe>;
  declarations: Declarations;
}

export function checkSweep(
  decl: SweepDecl,
  file: string,
  ctx: SweepContext,
  diags: Diagnostic[],
): SweepSpec | undefined {
  const train = ctx.trains.get(decl.over.name);
  if (!train) {
    const hint = didYouMean(decl.over.name, ctx.trains.keys());
    const message = `unknown train block '${decl.over.name}'${hint}`;
    diags.push(diagnostic(CODES.unknownName, message, file, decl.over.span));
    return undefined;
  }
  const before = diags.length;
  const base = ctx.recipes.get(decl.over.name);
  const dimensions = new DimensionChecker(decl, train.decl, file, ctx, diags, base).check();
  // A train block with errors has them reported there; its trials cannot be checked.
  if (diags.length > before || !base) return undefined;
  const count = dimensions.reduce((n, d) => n * d.values.length, 1);
  if (count > MAX_TRIALS) {
    const message = `sweep '${decl.name.name}' has ${count} trials; at most ${MAX_TRIALS}`;
    diags.push(diagnostic(CODES.sweepValues, message, file, decl.name.span));
    return undefined;
  }
  const trials = expand(decl, file, train, dimensions, count, ctx.declarations, diags);
  if (!trials) return undefined;
  return {
    name: decl.name.name,
    file,
    span: decl.name.span,
    recipe: base.name,
    keys: dimensions.map((d) => d.key.name),
    trials,
  };
}

class DimensionChecker {
  constructor(
    private decl: SweepDecl,
    private train: TrainDecl,
    private file: string,
    private ctx: SweepContext,
    private diags: Diagnostic[],
    private base: Recipe | undefined,
  ) {}

  check(): Dimension[] {
    // Whole settings' choices first: `optimizer.lr` must be an argument of each of them.
    const choices = new Map<string, Expr[]>();
    for (const entry of this.decl.body) {
      if (entry.key.name.includes('.')) continue;
      choices.set(entry.key.name, entry.value.kind === 'List' ? entry.value.items : [entry.value]);
    }
    const resolver = new KeyResolver(
      this.train,
      choices,
      this.ctx.declarations,
      this.file,
      this.diags,
    );
    const seen = new Map<string, SweepEntry>();
    const dimensions: Dimension[] = [];
    for (const entry of this.decl.body) {
      const first = seen.get(entry.key.name);
      if (first) {
        const note = { message: 'first swept here', file: this.file, span: first.key.span };
        const message = `'${entry.key.name}' is swept twice`;
        const at = entry.key.span;
        this.diags.push(diagnostic(CODES.duplicateDeclaration, message, this.file, at, [note]));
        continue;
      }
      seen.set(entry.key.name, entry);
      const target = resolver.resolve(entry.key);
      const valueCtx = { sweep: this.decl.name.name, file: this.file, diags: this.diags };
      const found = target && keyValues(entry, target, valueCtx);
      if (!target || !found) continue;
      if (!found.sampled) for (const value of found.values) this.value(entry.key, target, value);
      dimensions.push({ key: entry.key, target, values: found.values });
    }
    return dimensions;
  }

  /** One value, checked where the sweep writes it. */
  private value(key: Identifier, target: SweepTarget, value: Expr): void {
    if (target.kind === 'setting') {
      const id: Identifier = { ...key, name: target.setting };
      const setting = { kind: 'Assignment' as const, target: id, value, options: [] };
      const optimizerArgs = this.base?.optimizer.def.args;
      const { declarations } = this.ctx;
      checkSetting(
        { ...setting, span: value.span },
        this.file,
        declarations,
        this.diags,
        optimizerArgs,
      );
      return;
    }
    const what = target.kind === 'option' ? target.setting : target.owner;
    const bind = { what, file: this.file, span: value.span, constants: new Map() };
    const before = this.diags.length;
    const arg = { kind: 'Argument' as const, name: null, value, span: value.span };
    evaluateArg(arg, target.spec, bind, this.diags);
    if (this.diags.length > before && isList(target.spec) && value.kind !== 'List') {
      const last = this.diags[this.diags.length - 1];
      last.message += `; a list-valued argument is swept as a list of lists, e.g. [[0.9, 0.999], [0.95, 0.999]]`;
    }
  }
}

function isList(spec: ArgSpec): boolean {
  return spec.type === 'numbers' || spec.type === 'shape' || spec.type === 'pair';
}

/**
 * Every combination, the first key's values outermost (the last key changes fastest), each
 * written into the train block and checked as a recipe.
 */
function expand(
  decl: SweepDecl,
  file: string,
  train: Located<TrainDecl>,
  dimensions: Dimension[],
  count: number,
  declarations: Declarations,
  diags: Diagnostic[],
): SweepTrial[] | undefined {
  const width = String(count - 1).length;
  const trials: SweepTrial[] = [];
  const failures: string[] = [];
  for (let index = 0; index < count; index++) {
    const changes = combination(dimensions, index);
    const settings = changes.map((c) => ({ key: c.key.name, value: exprText(c.value) }));
    const scratch: Diagnostic[] = [];
    const trialTrain = trialDecl(train.decl, changes, declarations);
    const recipe = checkRecipe(trialTrain, train.file, declarations, scratch);
    const name = `trial-${String(index).padStart(width, '0')}`;
    if (recipe && scratch.length === 0) trials.push({ index, name, settings, recipe });
    else failures.push(trialFailure(index, settings, scratch));
  }
  if (failures.length === 0) return trials;
  for (const message of failures.slice(0, SHOWN_FAILURES))
    diags.push(diagnostic(CODES.sweepTrial, message, file, decl.name.span));
  const rest = failures.length - SHOWN_FAILURES;
  if (rest > 0) {
    const message = `and ${rest} more trial${rest === 1 ? '' : 's'} of sweep '${decl.name.name}' that do not check`;
    diags.push(diagnostic(CODES.sweepTrial, message, file, decl.name.span));
  }
  return undefined;
}

/** The changes of trial `index`: its value of each key, by mixed-radix digits. */
function combination(dimensions: Dimension[], index: number): Change[] {
  const changes: Change[] = [];
  let rest = index;
  for (let d = dimensions.length - 1; d >= 0; d--) {
    const { key, target, values } = dimensions[d];
    changes.unshift({ key, target, value: values[rest % values.length] });
    rest = Math.floor(rest / values.length);
  }
  return changes;
}

function trialFailure(
  index: number,
  settings: { key: string; value: string }[],
  problems: Diagnostic[],
): string {
  const shown = settings.map((s) => `${s.key} = ${s.value}`).join(', ');
  const [first] = problems;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
  return `trial ${index} (${shown}) does not check: ${first?.message ?? 'no recipe'}${more}`;
}
