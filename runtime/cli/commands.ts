// The actions behind each CLI command.
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { compileInference, compileRecipe } from '../../compiler/index.js';
import type { EpochMetrics } from '../train.js';
import { readSafetensors, writeFileAtomic } from '../weights.js';
import { loadRecipe, printDiagnostics, readSpec, UserError } from './load.js';

export function checkCommand(path: string, options: { json?: boolean }): number {
  const loaded = readSpec(path);
  if (options.json) process.stdout.write(JSON.stringify(loaded.diagnostics, null, 2) + '\n');
  else printDiagnostics(loaded);
  const failed = loaded.diagnostics.some((d) => d.severity === 'error');
  if (!options.json && !failed) process.stdout.write(`${path}: ok\n`);
  return failed ? 1 : 0;
}

export function compileCommand(path: string, options: { out: string; recipe?: string }): number {
  const { recipe } = loadRecipe(path, options.recipe);
  const compiled = compileRecipe(recipe);
  mkdirSync(options.out, { recursive: true });
  const { graphs } = compiled.manifest;
  writeFileSync(join(options.out, graphs.train.file), compiled.train);
  writeFileSync(join(options.out, graphs.eval.file), compiled.eval);
  writeFileSync(join(options.out, graphs.infer.file), compiled.infer);
  writeFileSync(
    join(options.out, `${recipe.name}.manifest.json`),
    JSON.stringify(compiled.manifest, null, 2),
  );
  process.stdout.write(
    `wrote ${graphs.train.file}, ${graphs.eval.file}, ${graphs.infer.file} and ${recipe.name}.manifest.json to ${options.out}\n`,
  );
  return 0;
}

export function dataRoots(fromCli: string[]): string[] {
  const fromEnv = process.env.NETSPEC_DATA
    ? process.env.NETSPEC_DATA.split(':').filter(Boolean)
    : [];
  return [...fromCli, ...fromEnv];
}

const percent = (x: number) => `${(100 * x).toFixed(2)}%`;

export function epochLine(m: EpochMetrics, epochs: number): string {
  const held = (name: string, loss?: number, accuracy?: number) =>
    loss === undefined ? '' : `  ${name} loss ${loss.toFixed(4)} acc ${percent(accuracy!)}`;
  const speed = `${Math.round(m.imagesPerSecond).toLocaleString('en-US')} img/s`;
  const train = `train loss ${m.trainLoss.toFixed(4)} acc ${percent(m.trainAccuracy)}`;
  const others = held('val', m.valLoss, m.valAccuracy) + held('test', m.testLoss, m.testAccuracy);
  return `epoch ${m.epoch}/${epochs}  ${train}${others}  ${speed}  ${m.seconds.toFixed(1)}s`;
}

export function exportCommand(
  path: string,
  options: { out: string; weights?: string; recipe?: string },
): number {
  const { recipe } = loadRecipe(path, options.recipe);
  const weightsPath = options.weights ?? join('runs', recipe.name, 'weights.safetensors');
  let stored;
  try {
    stored = readSafetensors(weightsPath);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const hint =
      code === 'ENOENT'
        ? `no such file; train first (netspec train ${path}) or pass --weights`
        : (e as Error).message;
    throw new UserError(`${weightsPath}: ${hint}`);
  }
  const weights = new Map<string, Float32Array>();
  for (const [name, t] of stored) weights.set(name, t.data);
  const expected = compileRecipe(recipe).manifest.parameters;
  for (const p of expected) {
    const t = stored.get(p.name);
    if (!t)
      throw new UserError(
        `${weightsPath}: has no tensor '${p.name}', which ${recipe.model.name} needs`,
      );
    if (t.shape.join() !== p.shape.join()) {
      throw new UserError(
        `${weightsPath}: '${p.name}' has shape [${t.shape}], but ${recipe.model.name} needs [${p.shape}]`,
      );
    }
  }
  const metadata: Record<string, string> = {
    'netspec.spec': basename(path),
    'netspec.recipe': recipe.name,
  };
  if (recipe.dataset.classes) metadata['netspec.classes'] = JSON.stringify(recipe.dataset.classes);
  writeFileAtomic(options.out, compileInference(recipe.model, weights, metadata));
  process.stdout.write(`wrote ${options.out}\n`);
  return 0;
}
