// Every spec in specs/ compiles for WebGPU to graphs that run wholly on the device: no
// placement warning, and onnxruntime creates each recipe's train, eval and inference sessions
// with CPU fallback turned off (it refuses a graph with a node only the CPU runs, as it does
// the CPU's own graphs).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkSpec, compileRecipe } from '../../../compiler/index.js';
import { readBinary, readImport } from '../../../runtime/cli/load.js';
import { ROOT } from '../../helpers/spec.js';
import { useSwiftShader, webgpuSession } from '../../helpers/webgpu.js';

beforeAll(useSwiftShader);

const SPECS = readdirSync(join(ROOT, 'specs')).filter((f) => f.endsWith('.net'));

function recipes(file: string) {
  const path = join(ROOT, 'specs', file);
  const { spec } = checkSpec(readFileSync(path, 'utf8'), path, readImport, readBinary);
  return [...spec.recipes.values()];
}

describe('every spec on WebGPU', () => {
  for (const file of SPECS) {
    it(`${file}: no node falls back to the CPU`, async () => {
      for (const recipe of recipes(file)) {
        const compiled = compileRecipe(recipe, { target: 'webgpu' });
        expect(compiled.warnings, recipe.name).toEqual([]);
        for (const graph of [compiled.train, compiled.eval, compiled.infer])
          await (await webgpuSession(graph)).release();
      }
    });
  }

  it("refuses the CPU's graphs, whose dropout hash and max-pool gradient only the CPU runs", async () => {
    const [seed] = recipes('fashion-cnn.net');
    await expect(webgpuSession(compileRecipe(seed).train)).rejects.toThrow(
      /nodes only the CPU runs .*--no-fallback/,
    );
  });
});
