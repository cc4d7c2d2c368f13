// The graphs each recipe compiles to, in their text form (`netspec compile --print`), must match
// the committed baselines in test/baselines/graphs/: a change to a lowering, a gradient rule, an
// optimizer or a graph pass shows up as a reviewable diff there. The cases cover the example
// specs (an MLP, the seed CNN with dropout, a residual network with batch norm, the ResNet18
// finetune with frozen layers) and one small spec per graph rewrite (test/graphs/*.net).
// UPDATE_BASELINES=1 rewrites the baselines; review the diff before committing.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GraphKind } from '../../../compiler/index.js';
import { printRecipeGraphs } from '../../../compiler/index.js';
import { loadRecipe } from '../../../runtime/cli/load.js';
import { withFixtureModels } from '../../helpers/fixture-models.js';
import { ROOT } from '../../helpers/spec.js';

interface Case {
  name: string;
  spec: string;
  recipe: string;
  graphs: GraphKind[];
}

const CASES: Case[] = [
  {
    name: 'mlp',
    spec: 'specs/fashion-mlp.net',
    recipe: 'Baseline',
    graphs: ['train', 'steps', 'eval', 'infer'],
  },
  {
    name: 'cnn-dropout',
    spec: 'specs/fashion-cnn.net',
    recipe: 'Seed',
    graphs: ['train', 'eval', 'infer'],
  },
  {
    name: 'residual-batchnorm',
    spec: 'specs/residual.net',
    recipe: 'Baseline',
    graphs: ['train', 'eval', 'infer'],
  },
  {
    name: 'resnet18-finetune',
    spec: 'specs/resnet18-finetune.net',
    recipe: 'Finetune',
    graphs: ['train', 'eval', 'infer'],
  },
  {
    name: 'pool-relu',
    spec: 'test/graphs/pool-relu.net',
    recipe: 'Step',
    graphs: ['train', 'infer'],
  },
  {
    name: 'tiny-maps',
    spec: 'test/graphs/tiny-maps.net',
    recipe: 'Step',
    graphs: ['train', 'infer'],
  },
  { name: 'regularized', spec: 'test/graphs/regularized.net', recipe: 'Step', graphs: ['train'] },
];

const rows = CASES.flatMap((c) =>
  c.graphs.map((graph) => [`${c.name}.${graph}`, c, graph] as const),
);

describe('graph baselines', () => {
  it.each(rows)('%s', (_, c, graph) => {
    const previous = process.cwd();
    // Spec paths are relative to the repository, mirrored with the models the specs import.
    process.chdir(withFixtureModels('specs', 'test/graphs'));
    try {
      const { recipe } = loadRecipe(c.spec, c.recipe);
      const text = printRecipeGraphs(recipe, [graph]);
      const baseline = join(ROOT, 'test/baselines/graphs', `${c.name}.${graph}.txt`);
      if (process.env.UPDATE_BASELINES) writeFileSync(baseline, text);
      expect(text).toBe(readFileSync(baseline, 'utf8'));
    } finally {
      process.chdir(previous);
    }
  });
});
