// The semantic checker: from a parsed file to a CheckedSpec, collecting every diagnostic.
import type { Declaration, Diagnostic, NetworkDecl, SpecFile } from '../../grammar/index.js';
import { diagnostic } from '../../grammar/index.js';
import { CODES } from '../codes.js';
import { checkDataset } from './dataset.js';
import type { CheckedSpec, DatasetSpec, Model, Recipe } from './model.js';
import { checkNetwork } from './network.js';
import { checkRecipe } from './recipe.js';

export function checkSpecFile(ast: SpecFile): { spec: CheckedSpec; diagnostics: Diagnostic[] } {
  const diags: Diagnostic[] = [];
  const file = ast.file;
  for (const imp of ast.imports) {
    diags.push(
      diagnostic(
        CODES.unknownName,
        'import is not supported yet: put everything in one file',
        file,
        imp.span,
      ),
    );
  }
  const declarations = uniqueDeclarations(ast.declarations, file, diags);
  const networks = new Map<string, NetworkDecl>();
  const datasets = new Map<string, DatasetSpec | undefined>();
  for (const decl of declarations) {
    if (decl.kind === 'Network') networks.set(decl.name.name, decl);
    if (decl.kind === 'Dataset') datasets.set(decl.name.name, checkDataset(decl, file, diags));
  }
  const recipes = new Map<string, Recipe>();
  for (const decl of declarations) {
    if (decl.kind !== 'Train') continue;
    const recipe = checkRecipe(decl, file, { networks, datasets }, diags);
    if (recipe) recipes.set(recipe.name, recipe);
  }
  const models = checkStandaloneNetworks(networks, file, diags);
  const resolved = new Map(
    [...datasets].filter((e): e is [string, DatasetSpec] => e[1] !== undefined),
  );
  const spec = { datasets: resolved, recipes, networks: models };
  return { spec, diagnostics: sortAndDedupe(diags) };
}

/** Reports a second declaration of a name, pointing back at the first. */
function uniqueDeclarations(all: Declaration[], file: string, diags: Diagnostic[]): Declaration[] {
  const seen = new Map<string, Declaration>();
  return all.filter((decl) => {
    const first = seen.get(decl.name.name);
    if (!first) {
      seen.set(decl.name.name, decl);
      return true;
    }
    const related = [
      { message: `'${decl.name.name}' is first declared here`, file, span: first.name.span },
    ];
    const message = `'${decl.name.name}' is already declared`;
    diags.push(diagnostic(CODES.duplicateDeclaration, message, file, decl.name.span, related));
    return false;
  });
}

/** Networks whose parameters all have defaults are checked even when no recipe uses them. */
function checkStandaloneNetworks(
  networks: Map<string, NetworkDecl>,
  file: string,
  diags: Diagnostic[],
): Map<string, Model> {
  const models = new Map<string, Model>();
  for (const decl of networks.values()) {
    if (decl.params.some((p) => !p.default)) continue;
    const constants = new Map();
    for (const p of decl.params) {
      const d = p.default!;
      if (d.kind === 'Number')
        constants.set(p.name.name, { t: 'num', v: d.value, int: d.isInteger });
    }
    const model = checkNetwork(decl, file, constants, diags);
    if (model) models.set(decl.name.name, model);
  }
  return models;
}

/** The same mistake found twice (a network checked standalone and in a recipe) is reported once. */
function sortAndDedupe(diags: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diags
    .filter((d) => {
      const key = `${d.file}:${d.span.start.offset}:${d.code}:${d.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => a.span.start.offset - b.span.start.offset);
}
