// The actions behind each CLI command.
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { compileInference, compileRecipe } from '../../compiler/index.js';
import { prepareData } from './data.js';
import type { Device } from '../session.js';
import { train } from '../train.js';
import type { EpochMetrics } from '../train.js';
import { readSafetensors, encodeSafetensors, writeFileAtomic } from '../weights.js';
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

export interface TrainCommandOptions {
  recipe?: string;
  epochs?: number;
  out?: string;
  data: string[];
  threads: number;
  device: Device;
}

export async function trainCommand(path: string, options: TrainCommandOptions): Promise<number> {
  const { recipe } = loadRecipe(path, options.recipe);
  const data = prepareData(recipe, path, dataRoots(options.data));
  const compiled = compileRecipe(recipe);
  const epochs = options.epochs ?? recipe.epochs;
  const out = options.out ?? join('runs', recipe.name);
  process.stdout.write(
    `training ${recipe.name}: ${recipe.model.name} on ${recipe.dataset.name} (${data.train.count} train, ${data.test?.count ?? 0} test), ${epochs} epochs\n`,
  );
  const result = await train(recipe, compiled, data, {
    epochs,
    threads: options.threads,
    device: options.device,
    onEpoch: (m) => process.stdout.write(epochLine(m, epochs) + '\n'),
  });
  mkdirSync(out, { recursive: true });
  const tensors = new Map(
    compiled.manifest.parameters.map((p) => [
      p.name,
      { shape: p.shape, data: result.weights.get(p.name)! },
    ]),
  );
  const weightsPath = join(out, 'weights.safetensors');
  writeFileAtomic(
    weightsPath,
    encodeSafetensors(tensors, { spec: basename(path), recipe: recipe.name }),
  );
  writeFileAtomic(
    join(out, 'metrics.jsonl'),
    Buffer.from(result.history.map((m) => JSON.stringify(m)).join('\n') + '\n'),
  );
  process.stdout.write(`saved ${weightsPath}\n`);
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
  const test =
    m.testLoss === undefined
      ? ''
      : `  test loss ${m.testLoss.toFixed(4)} acc ${percent(m.testAccuracy!)}`;
  const speed = `${Math.round(m.imagesPerSecond).toLocaleString('en-US')} img/s`;
  return `epoch ${m.epoch}/${epochs}  train loss ${m.trainLoss.toFixed(4)} acc ${percent(m.trainAccuracy)}${test}  ${speed}  ${m.seconds.toFixed(1)}s`;
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
