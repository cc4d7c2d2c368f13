// Training stages: `unfreeze layer4.* after 1 epoch` in a train block. The checker resolves each
// statement's patterns to frozen modules of the model; `stageRecipe` gives the recipe a stage
// trains (those modules unfrozen), which the runtime compiles when the stage begins.
import type { Diagnostic, UnfreezeAfterStatement } from '../../grammar/index.js';
import { diagnostic } from '../../grammar/index.js';
import { CODES } from '../codes.js';
import { didYouMean } from './names.js';
import type { LayerInstance, Model, Recipe } from '../vocabulary/model.js';
import type { UnfreezeStage } from '../vocabulary/model.js';

/** `*` spans dots; a pattern may also name a layer kind (`BatchNorm2d`), as in surgery. */
export function matches(pattern: string, layer: LayerInstance): boolean {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  const regex = new RegExp(`^${escaped.split('*').join('.*')}$`);
  return regex.test(layer.path) || layer.def.name === pattern;
}

/** Checks the statements against the model; stages sorted by epoch, undefined after an error. */
export function checkStages(
  statements: UnfreezeAfterStatement[],
  model: Model,
  file: string,
  diags: Diagnostic[],
): UnfreezeStage[] | undefined {
  const before = diags.length;
  const fail = (message: string, span: UnfreezeAfterStatement['span'], code: string) =>
    diags.push(diagnostic(code, message, file, span));
  const layers = model.layers.filter((n) => n.params.length > 0);
  const stages: UnfreezeStage[] = [];
  for (const s of statements) {
    if (!/^epochs?$/.test(s.unit.name)) {
      const hint = didYouMean(s.unit.name, ['epoch', 'epochs']);
      fail(
        `unfreeze … after N epochs, not '${s.unit.name}'${hint}`,
        s.unit.span,
        CODES.argumentType,
      );
    }
    const after = s.after.value;
    if (!Number.isInteger(after) || after < 1)
      fail('unfreeze after: a positive whole number of epochs', s.after.span, CODES.argumentRange);
    const paths: string[] = [];
    for (const pattern of s.patterns) {
      const matched = layers.filter((l) => matches(pattern.text, l));
      if (matched.length === 0) {
        const hint = didYouMean(
          pattern.text,
          model.layers.map((n) => n.path),
        );
        fail(
          `no module of '${model.name}' matches '${pattern.text}'${hint}`,
          pattern.span,
          CODES.unknownName,
        );
        continue;
      }
      const frozen = matched.filter((l) => l.frozen);
      if (frozen.length === 0) {
        const message = `'${pattern.text}' matches no frozen module of '${model.name}' (freeze it in the network first)`;
        fail(message, pattern.span, CODES.argumentType);
        continue;
      }
      paths.push(...frozen.map((l) => l.path));
    }
    stages.push({ after, paths });
  }
  return diags.length > before ? undefined : stages.sort((a, b) => a.after - b.after);
}

/** How many stages have begun when `epoch` (1-based) starts. */
export function stageAt(recipe: Recipe, epoch: number): number {
  return (recipe.stages ?? []).filter((s) => s.after < epoch).length;
}

/** The recipe of stage `k`: the modules of the first k stages unfrozen (stage 0: as checked). */
export function stageRecipe(recipe: Recipe, k: number): Recipe {
  if (k === 0) return recipe;
  const paths = new Set((recipe.stages ?? []).slice(0, k).flatMap((s) => s.paths));
  const layers = recipe.model.layers.map((n) =>
    paths.has(n.path) ? { ...n, frozen: false, batchStats: false } : n,
  );
  return { ...recipe, model: { ...recipe.model, layers } };
}
