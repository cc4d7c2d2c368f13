// Reading a spec for a command: parse and check it, print its diagnostics, pick the recipe;
// reading the trained weights a command uses.
import { join } from 'node:path';
import type { CheckedSpec, Diagnostic, Model, Recipe, SweepSpec } from '../../compiler/index.js';
import { fileExists, FileError, readText } from '../files.js';
import { checkerHost } from '../host.js';
import { checkSpec, hasErrors } from '../../compiler/index.js';
import { trainedWeights } from '../start-weights.js';
import { UserError } from '../errors.js';
import { formatDiagnostic, summary } from './print.js';
import { CODES } from '../../compiler/index.js';
import { alreadyReported } from '../errors.js';

export interface LoadedSpec {
  path: string;
  spec: CheckedSpec;
  diagnostics: Diagnostic[];
  /** The spec's text and its imports', by file name. */
  sources: Map<string, string>;
}

/** How the CLI's checker reads the files a spec names (host.ts): anywhere the spec says. */
export const { readBinary, readImport } = checkerHost();

export function readSpec(path: string): LoadedSpec {
  let text: string;
  try {
    text = readText(path, 'spec');
  } catch (e) {
    if (e instanceof FileError)
      throw new UserError(CODES.unreadableFile, `${path}: cannot read the spec: ${e.reason}`);
    throw e;
  }
  const { spec, diagnostics, sources } = checkSpec(text, path, readImport, readBinary);
  return { path, spec, diagnostics, sources };
}

export function printDiagnostics(loaded: LoadedSpec): void {
  if (loaded.diagnostics.length === 0) return;
  for (const d of loaded.diagnostics) {
    process.stderr.write(formatDiagnostic(d, loaded.sources) + '\n');
  }
  process.stderr.write(`${summary(loaded.diagnostics)}\n`);
}

/** Reads and checks a spec and returns its recipe, or throws after printing what is wrong. */
export function loadRecipe(
  path: string,
  name: string | undefined,
): { loaded: LoadedSpec; recipe: Recipe } {
  const loaded = readSpec(path);
  printDiagnostics(loaded);
  if (hasErrors(loaded.diagnostics)) throw alreadyReported();
  const recipes = [...loaded.spec.recipes.values()];
  if (name !== undefined) {
    const recipe = loaded.spec.recipes.get(name);
    if (!recipe)
      throw new UserError(
        CODES.commandLine,
        `${path}: no train block named '${name}' (found: ${names(recipes)})`,
      );
    return { loaded, recipe };
  }
  if (recipes.length === 1) return { loaded, recipe: recipes[0] };
  if (recipes.length === 0)
    throw new UserError(CODES.commandLine, `${path}: the spec has no train block`);
  throw new UserError(
    CODES.commandLine,
    `${path}: the spec has several train blocks (${names(recipes)}); choose one with --recipe`,
  );
}

/** Reads and checks a spec and returns the sweep `name`, or throws after printing what is wrong. */
export function loadSweep(path: string, name: string): { loaded: LoadedSpec; sweep: SweepSpec } {
  const loaded = readSpec(path);
  printDiagnostics(loaded);
  if (hasErrors(loaded.diagnostics)) throw alreadyReported();
  const sweep = loaded.spec.sweeps.get(name);
  if (sweep) return { loaded, sweep };
  const found = [...loaded.spec.sweeps.keys()].join(', ') || 'none';
  throw new UserError(CODES.commandLine, `${path}: no sweep named '${name}' (found: ${found})`);
}

function names(recipes: { name: string }[]): string {
  return recipes.map((r) => r.name).join(', ') || 'none';
}

/**
 * `--weights FILE` (default runs/<Recipe>/weights.safetensors) for a model: every mismatch
 * listed in one error, as `train --weights` does.
 */
export function loadTrainedWeights(
  model: Model,
  spec: string,
  file: string | undefined,
  recipe: string,
): Map<string, Float32Array> {
  const path = file ?? join('runs', recipe, 'weights.safetensors');
  if (!fileExists(path))
    throw new UserError(
      CODES.weightsFile,
      `${path}: no such file; train first (netspec train ${spec}) or pass --weights`,
    );
  return trainedWeights(model, path);
}
