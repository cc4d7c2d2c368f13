// The semantic checker: from parsed files (an entry and its imports) to a CheckedSpec,
// collecting every diagnostic.
import type {
  BlockDecl,
  Declaration,
  Diagnostic,
  NetworkDecl,
  SpecFile,
  TrainDecl,
} from '../../grammar/index.js';
import { diagnostic } from '../../grammar/index.js';
import { CODES } from '../codes.js';
import { dirname, isAbsolute, join } from 'node:path';
import { checkDataset } from './dataset.js';
import type { ReadBinary } from './onnx-network.js';
import { checkOnnxNetwork } from './onnx-network.js';
import type { Located } from './network.js';
import { bindParams, checkNetwork } from './network.js';
import { checkRecipe } from './recipe.js';
import { checkSweep } from './sweep.js';
import { checkTransform } from './transform.js';
import type {
  CheckedSpec,
  DatasetSpec,
  Model,
  Recipe,
  SweepSpec,
  TransformSpec,
} from '../vocabulary/model.js';

export function checkFiles(
  files: SpecFile[],
  readBinary?: ReadBinary,
): { spec: CheckedSpec; diagnostics: Diagnostic[] } {
  const diags: Diagnostic[] = [];
  const declarations = uniqueDeclarations(files, diags);
  const networks = new Map<string, Located<NetworkDecl>>();
  const blocks = new Map<string, Located<BlockDecl>>();
  const datasets = new Map<string, DatasetSpec | undefined>();
  const transforms = new Map<string, TransformSpec | undefined>();
  const imported = new Map<string, Model | undefined>();
  for (const { decl, file } of declarations) {
    if (decl.kind === 'Transform')
      transforms.set(decl.name.name, checkTransform(decl, file, diags));
    if (decl.kind === 'Network') networks.set(decl.name.name, { decl, file });
    if (decl.kind === 'Block') blocks.set(decl.name.name, { decl, file });
    if (decl.kind === 'Dataset') datasets.set(decl.name.name, checkDataset(decl, file, diags));
    if (decl.kind === 'OnnxNetwork') {
      const resolvePath = (p: string) => (isAbsolute(p) ? p : join(dirname(file), p));
      imported.set(decl.name.name, checkOnnxNetwork(decl, file, diags, readBinary, resolvePath));
    }
  }
  const recipes = new Map<string, Recipe>();
  const trains = new Map<string, Located<TrainDecl>>();
  const known = { networks, blocks, datasets, transforms, imported };
  for (const { decl, file } of declarations) {
    if (decl.kind !== 'Train') continue;
    trains.set(decl.name.name, { decl, file });
    const recipe = checkRecipe(decl, file, known, diags);
    if (recipe) recipes.set(recipe.name, recipe);
  }
  const sweeps = new Map<string, SweepSpec>();
  for (const { decl, file } of declarations) {
    if (decl.kind !== 'Sweep') continue;
    const sweep = checkSweep(decl, file, { trains, recipes, declarations: known }, diags);
    if (sweep) sweeps.set(sweep.name, sweep);
  }
  const models = checkStandaloneNetworks(networks, blocks, diags);
  for (const [name, model] of imported) if (model) models.set(name, model);
  const resolved = new Map(
    [...datasets].filter((e): e is [string, DatasetSpec] => e[1] !== undefined),
  );
  const checkedTransforms = new Map(
    [...transforms].filter((e): e is [string, TransformSpec] => e[1] !== undefined),
  );
  const spec = {
    datasets: resolved,
    transforms: checkedTransforms,
    recipes,
    networks: models,
    sweeps,
  };
  return { spec, diagnostics: sortAndDedupe(diags) };
}

/** Reports a second declaration of a name (in any file), pointing back at the first. */
function uniqueDeclarations(files: SpecFile[], diags: Diagnostic[]): Located<Declaration>[] {
  const seen = new Map<string, Located<Declaration>>();
  const unique: Located<Declaration>[] = [];
  for (const ast of files) {
    for (const decl of ast.declarations) {
      const first = seen.get(decl.name.name);
      if (!first) {
        seen.set(decl.name.name, { decl, file: ast.file });
        unique.push({ decl, file: ast.file });
        continue;
      }
      const note = `'${decl.name.name}' is first declared here`;
      const related = [{ message: note, file: first.file, span: first.decl.name.span }];
      const message = `'${decl.name.name}' is already declared`;
      diags.push(
        diagnostic(CODES.duplicateDeclaration, message, ast.file, decl.name.span, related),
      );
    }
  }
  return unique;
}

/** Networks whose parameters all have defaults are checked even when no recipe uses them. */
function checkStandaloneNetworks(
  networks: Map<string, Located<NetworkDecl>>,
  blocks: Map<string, Located<BlockDecl>>,
  diags: Diagnostic[],
): Map<string, Model> {
  const models = new Map<string, Model>();
  const blockDecls = [...blocks.values()].map((b) => b.decl);
  for (const network of networks.values()) {
    if (network.decl.params.some((p) => !p.default)) continue;
    const checked = checkedOnItsOwn(network, blocks, blockDecls);
    diags.push(...checked.diags);
    if (checked.model) models.set(network.decl.name.name, checked.model);
  }
  return models;
}

interface OnItsOwn {
  file: string;
  blocks: BlockDecl[];
  model: Model | undefined;
  diags: Diagnostic[];
}

/**
 * A network checked with its defaults depends on nothing but its declaration and the blocks'.
 * An editor's parser keeps the declaration objects an edit does not touch, so the result is
 * remembered per declaration object and reused while it and every block object are the same.
 */
const onItsOwn = new WeakMap<NetworkDecl, OnItsOwn>();

function checkedOnItsOwn(
  network: Located<NetworkDecl>,
  blocks: Map<string, Located<BlockDecl>>,
  blockDecls: BlockDecl[],
): OnItsOwn {
  const { decl, file } = network;
  const known = onItsOwn.get(decl);
  const same = (a: BlockDecl[], b: BlockDecl[]) =>
    a.length === b.length && a.every((x, i) => x === b[i]);
  if (known && known.file === file && same(known.blocks, blockDecls)) return known;
  const diags: Diagnostic[] = [];
  const what = `network ${decl.name.name}`;
  const constants = bindParams(decl.params, [], what, file, decl.name.span, new Map(), diags);
  const model = constants && checkNetwork(network, constants, blocks, diags);
  const checked = { file, blocks: blockDecls, model, diags };
  onItsOwn.set(decl, checked);
  return checked;
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
    .sort((a, b) => (a.file === b.file ? a.span.start.offset - b.span.start.offset : 0));
}
