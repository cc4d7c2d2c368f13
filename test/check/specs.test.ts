// specs/*.net are the examples of every capability netspec has. Each must check with no
// diagnostics (with the ResNet18 fixture beside the finetune spec, which names its model
// `resnet18.onnx`) and be formatted canonically, and the table below asserts, on the checked
// spec, the capability each file is there to show. docs/language.md's examples must parse.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CheckedSpec, LayerInstance, Recipe } from '../../compiler/index.js';
import { checkSpec } from '../../compiler/index.js';
import { format, parse } from '../../grammar/index.js';
import { readBinary, readImport } from '../../runtime/cli/load.js';
import { withFixtureModels } from '../helpers/fixture-models.js';
import { ROOT } from '../helpers/spec.js';
import { boolArg, numberArg, stringArg } from '../../compiler/vocabulary/args.js';
import type { StopCondition } from '../../compiler/vocabulary/model.js';

const SPECS = join(ROOT, 'specs');
const files = readdirSync(SPECS)
  .filter((f) => f.endsWith('.net'))
  .sort();

interface Checked {
  spec: CheckedSpec;
  sources: Map<string, string>;
}

function check(file: string): Checked {
  const path = join(withFixtureModels('specs'), 'specs', file);
  const { spec, diagnostics, sources } = checkSpec(
    readFileSync(path, 'utf8'),
    path,
    readImport,
    readBinary,
  );
  expect(diagnostics.map((d) => `${d.file}:${d.span.start.line}: ${d.message}`)).toEqual([]);
  return { spec, sources };
}

const recipes = (spec: CheckedSpec): Recipe[] => [...spec.recipes.values()];
const layers = (recipe: Recipe): LayerInstance[] => recipe.model.layers;
const layerKinds = (recipe: Recipe): Set<string> => new Set(layers(recipe).map((l) => l.def.name));

function quantities(c: StopCondition | undefined): string[] {
  if (!c) return [];
  return c.kind === 'compare' ? [c.quantity] : [...quantities(c.left), ...quantities(c.right)];
}

describe('specs/*.net', () => {
  it('has the examples the mission asks for', () => {
    for (const name of Object.keys(CAPABILITIES)) expect(files).toContain(name);
  });

  it.each(files)('%s checks with no diagnostics', (file) => {
    check(file);
  });

  it.each(files)('%s is formatted canonically', (file) => {
    const text = readFileSync(join(SPECS, file), 'utf8');
    const result = format(text, file);
    expect(result.diagnostics ?? []).toEqual([]);
    expect(result.text).toBe(text);
  });
});

/** What each example is for, asserted on the checked spec. */
const CAPABILITIES: Record<string, (c: Checked) => void> = {
  'amnist-csv.net': ({ spec }) => {
    const data = spec.datasets.get('AMNIST')!;
    for (const split of [data.train, data.test!]) {
      expect(split.kind).toBe('csv');
      if (split.kind !== 'csv') return;
      expect(split.images.path).toMatch(/_images\.csv$/);
      expect(split.labels?.path).toMatch(/_labels\.csv$/);
      expect(split.shape).toEqual([1, 28, 28]);
      expect(split.scale).toBeCloseTo(1 / 255, 12);
      expect(split.header).toBe(false);
    }
  },
  'image-folder.net': ({ spec }) => {
    const [recipe] = recipes(spec);
    expect(recipe.dataset.train.kind).toBe('images');
    if (recipe.dataset.train.kind === 'images') expect(recipe.dataset.train.labels).toBeDefined();
    expect(recipe.batch).toBe(10);
    expect(recipe.transform!.steps.map((s) => s.name)).toEqual([
      'ToTensor',
      'ColorJitter',
      'RandomAffine',
    ]);
    expect(recipe.transform!.steps[2].args.degrees).toEqual([-90, 90]);
  },
  'fashion-augment.net': ({ spec }) => {
    const [recipe] = recipes(spec);
    expect(recipe.dataset.train.kind).toBe('idx');
    const validation = recipe.dataset.validation!;
    expect(validation).toMatchObject({ kind: 'split', size: 0.1, seed: 7 });
    const steps = recipe.transform!.steps;
    expect(steps.map((s) => s.name)).toEqual([
      'ToTensor',
      'RandomCrop',
      'RandomAffine',
      'ColorJitter',
      'Normalize',
    ]);
    expect(steps[1].args).toMatchObject({ size: [28], padding: [4, 4, 4, 4] });
    expect(steps[4].args).toMatchObject({ mean: 'auto', std: 'auto' });
    expect(steps.filter((s) => s.trainOnly).map((s) => s.name)).toEqual([
      'RandomCrop',
      'RandomAffine',
      'ColorJitter',
    ]);
    expect(layerKinds(recipe)).toEqual(
      new Set(['Conv2d', 'ReLU', 'MaxPool2d', 'Dropout', 'Flatten', 'Linear']),
    );
  },
  'activations.net': ({ spec }) => {
    const kinds = layerKinds(recipes(spec)[0]);
    for (const a of ['Sigmoid', 'Tanh', 'Softplus', 'ReLU', 'LeakyReLU', 'ELU', 'GELU']) {
      expect(kinds).toContain(a);
    }
    // Swish is SiLU by another name: both spellings are used.
    const text = readFileSync(join(SPECS, 'activations.net'), 'utf8');
    expect(text).toMatch(/-> Swish\b/);
    expect(text).toMatch(/-> SiLU\b/);
    expect(kinds.has('SiLU') || kinds.has('Swish')).toBe(true);
  },
  'normalizations.net': ({ spec }) => {
    const recipe = recipes(spec)[0];
    const kinds = layerKinds(recipe);
    for (const n of ['BatchNorm1d', 'BatchNorm2d', 'LayerNorm', 'InstanceNorm2d', 'GroupNorm']) {
      expect(kinds).toContain(n);
    }
    const dropouts = layers(recipe).filter((l) => l.def.name === 'Dropout');
    expect(dropouts.map((d) => stringArg(d.args, 'per')).sort()).toEqual(['batch', 'example']);
    // Batch norm keeps running statistics as buffers; γ/β are trainable.
    const bn = layers(recipe).find((l) => l.def.name === 'BatchNorm2d')!;
    expect(bn.params.filter((p) => p.kind === 'buffer').length).toBeGreaterThan(0);
    expect(bn.params.filter((p) => p.kind !== 'buffer').map((p) => p.name)).toEqual([
      'weight',
      'bias',
    ]);
  },
  'residual.net': ({ spec }) => {
    const recipe = recipes(spec)[0];
    const adds = recipe.model.layers.filter((n) => n.def.name === 'Add');
    expect(adds.map((n) => n.path)).toEqual([
      'residual1.add1',
      'residual2.add1',
      'residual3.add1',
      'residual4.add1',
    ]);
    // Only the block that changes shape has the projection shortcut (a second convolution).
    const shortcut = (block: string) =>
      layers(recipe).filter((l) => l.path.startsWith(`${block}.conv2d`)).length;
    expect([1, 2, 3, 4].map((k) => shortcut(`residual${k}`))).toEqual([2, 2, 3, 2]);
  },
  'optimizers.net': ({ spec }) => {
    const all = recipes(spec);
    const optimizers = all.map((r) => r.optimizer.def.name);
    expect(new Set(optimizers)).toEqual(new Set(['SGD', 'Adagrad', 'RMSprop', 'Adam', 'AdamW']));
    const sgd = all.filter((r) => r.optimizer.def.name === 'SGD');
    expect(sgd.map((r) => numberArg(r.optimizer.args, 'momentum'))).toEqual([0.9, 0.9]);
    expect(sgd.map((r) => boolArg(r.optimizer.args, 'nesterov')).sort()).toEqual([false, true]);
    const rms = all.find((r) => r.optimizer.def.name === 'RMSprop')!;
    expect(boolArg(rms.optimizer.args, 'centered')).toBe(true);
    expect(numberArg(rms.optimizer.args, 'momentum')).toBeGreaterThan(0);
    const schedules = all.map((r) => r.control.schedule?.def.name);
    for (const s of ['exponential', 'cosine', 'step', 'plateau']) expect(schedules).toContain(s);
    const exponential = all.find((r) => r.control.schedule?.def.name === 'exponential')!;
    expect(numberArg(exponential.control.schedule!.args, 'gamma')).toBe(0.99);
    const cosine = all.find((r) => r.control.schedule?.def.name === 'cosine')!;
    expect(cosine.control.schedule!.warmup).toBeGreaterThan(0);
    expect(all.some((r) => r.control.earlyStop?.monitor === 'val_loss')).toBe(true);
    const stop = all.find((r) => r.control.stop)!.control.stop;
    expect(quantities(stop?.condition).sort()).toEqual(
      ['full_grad_norm', 'improvement', 'relative_improvement', 'steps'].sort(),
    );
    expect(all.map((r) => r.control.checkpoint)).toContainEqual({
      dir: 'runs/x',
      every: 1,
      unit: 'epoch',
    });
  },
  'resnet18-finetune.net': ({ spec }) => {
    const [recipe] = recipes(spec);
    expect(recipe.optimizer.def.name).toBe('Adam');
    expect(recipe.epochs).toBe(2);
    // layer4 trains from epoch 2, in its own parameter group.
    expect(recipe.stages).toEqual([
      { after: 1, paths: expect.arrayContaining(['layer4.0.conv1', 'layer4.1.bn2']) },
    ]);
    expect(recipe.regularization?.groups.map((g) => g.pattern)).toEqual(['layer4.*']);
    expect(recipe.model.input.shape).toEqual(['N', 1, 28, 28]);
    expect(recipe.model.initial?.size).toBeGreaterThan(0);
    const byPath = new Map(layers(recipe).map((l) => [l.path, l]));
    const conv1 = byPath.get('conv1')!;
    expect(conv1.def.name).toBe('Conv2d');
    expect(conv1.frozen).toBeFalsy();
    expect(conv1.args.values.get('in_channels')).toMatchObject({ v: 1 });
    expect(boolArg(conv1.args, 'bias')).toBe(false);
    const fc = byPath.get('fc')!;
    expect(fc.frozen).toBeFalsy();
    expect(fc.outputShape).toEqual([recipe.model.outputShape[0], 10]);
    // Everything else with parameters is frozen.
    const others = layers(recipe).filter(
      (l) => l.params.length > 0 && l.path !== 'conv1' && l.path !== 'fc',
    );
    expect(others.length).toBeGreaterThan(10);
    expect(others.every((l) => l.frozen)).toBe(true);
  },
  'regularization.net': ({ spec }) => {
    const byName = spec.recipes;
    const all = byName.get('Regularized')!;
    expect(all.regularization).toMatchObject({
      weightDecay: { lambda: 5e-4, exclude: ['bias'] },
      clip: { kind: 'grad_norm', max: 1 },
      sam: { rho: 0.05 },
    });
    expect(all.control.earlyStop?.monitor).toBe('val_loss');
    expect(layerKinds(all)).toContain('Dropout');
    expect(byName.get('FixedNormal')!.regularization?.clip).toEqual({
      kind: 'grad_value',
      value: 0.5,
    });
    // Glorot (σ² = 2/(n_in + n_out)), a fixed-variance normal, data-driven (LSUV).
    expect([...byName.values()].map((r) => r.init?.name)).toEqual([
      'xavier_normal',
      'normal',
      'lsuv',
    ]);
  },
  'blocks.net': ({ spec }) => {
    // Only blocks: nothing to train, nothing to check beyond the blocks' declarations.
    expect(spec.recipes.size).toBe(0);
  },
  'imports.net': ({ spec, sources }) => {
    expect([...sources.keys()].some((f) => f.endsWith('blocks.net'))).toBe(true);
    const paths = recipes(spec)[0].model.layers.map((n) => n.path);
    expect(paths).toContain('convbnrelu1.conv2d1');
    expect(paths).toContain('twopaths1.concat1');
    expect(paths).toContain('basicblock3.add1');
  },
  'fashion-mlp.net': ({ spec }) => {
    expect(layerKinds(recipes(spec)[0])).toEqual(new Set(['Flatten', 'Linear', 'ReLU']));
  },
  'fashion-cnn.net': ({ spec }) => {
    expect(layerKinds(recipes(spec)[0])).toContain('Conv2d');
    // A sweep: three learning rates × two seeds of the baseline.
    const rates = spec.sweeps.get('Rates')!;
    expect(rates.recipe).toBe('Baseline');
    const trials = rates.trials.map((t) => [
      numberArg(t.recipe.optimizer.args, 'lr'),
      t.recipe.seed,
    ]);
    expect(trials).toEqual(
      [0.003, 0.01, 0.03].flatMap((lr) => [
        [lr, 1],
        [lr, 2],
      ]),
    );
  },
  'resnet18.net': ({ spec }) => {
    expect(spec.networks.get('ResNet18')!.layers.filter((n) => n.def.name === 'Add')).toHaveLength(
      8,
    );
  },
};

describe('what each example shows', () => {
  it.each(Object.keys(CAPABILITIES))('%s', (file) => {
    CAPABILITIES[file](check(file));
  });
});

describe('docs/language.md', () => {
  const text = readFileSync(join(ROOT, 'docs/language.md'), 'utf8');
  const blocks = [...text.matchAll(/```net\n([\s\S]*?)```/g)].map((m) => m[1]);

  it('has examples', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(10);
  });

  it.each(blocks.map((b, i) => [i + 1, b] as const))('example %i parses', (_, block) => {
    const { diagnostics } = parse(block, 'language.md');
    expect(diagnostics.map((d) => `${d.span.start.line}: ${d.message}`)).toEqual([]);
  });

  it('examples, taken together, check with no diagnostics', () => {
    // One file of every example but the imports, checked beside the ResNet18 fixture that the
    // ONNX examples name.
    const all = blocks.filter((b) => !b.startsWith('import')).join('\n');
    const path = join(withFixtureModels('docs'), 'docs/language-examples.net');
    const { diagnostics } = checkSpec(all, path, readImport, readBinary);
    expect(diagnostics.map((d) => `${d.span.start.line}: ${d.message}`)).toEqual([]);
  });
});
