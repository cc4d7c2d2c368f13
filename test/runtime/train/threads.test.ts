// The default thread count (`--threads 0`): every core for a model whose step is worth
// sharing, one thread for a step too small to split (runtime/train.ts, measured there).
import { availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkSpec, forwardFlops } from '../../../compiler/index.js';
import { defaultThreads } from '../../../runtime/train.js';

const ROOT = join(import.meta.dirname, '../../..');
const recipe = (file: string, name: string) => {
  const path = join(ROOT, 'specs', file);
  return checkSpec(readFileSync(path, 'utf8'), path).spec.recipes.get(name)!;
};

describe('default threads', () => {
  it('counts forward FLOPs per image as 2 per weight per output position', () => {
    // 784·256 + 256·10 weights, one position each.
    expect(forwardFlops(recipe('fashion-mlp.net', 'Baseline').model)).toBe(2 * (784 * 256 + 2560));
    // conv 1→32 (3×3) on 26², conv 32→64 on 24², fc 9216→128, fc 128→10.
    const cnn = 2 * (32 * 9 * 26 * 26 + 64 * 32 * 9 * 24 * 24 + 9216 * 128 + 1280);
    expect(forwardFlops(recipe('fashion-cnn.net', 'Baseline').model)).toBe(cnn);
  });

  it('gives the small MLP one thread and the CNN every core', () => {
    expect(defaultThreads(recipe('fashion-mlp.net', 'Baseline'))).toBe(1);
    expect(defaultThreads(recipe('fashion-cnn.net', 'Baseline'))).toBe(availableParallelism());
  });
});
