// Every spec in specs/ compiles for WebGPU to graphs that run wholly on the device: no
// placement warning, and onnxruntime creates each recipe's train, eval and inference sessions
// with CPU fallback turned off (it refuses a graph with a node only the CPU runs, as it does
// the CPU's own graphs).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkSpec, compileRecipe } from '../../../compiler/index.js';
import { readBinary, readImport } from '../../../runtime/cli/load.js';
import { withFixtureModels } from '../../helpers/fixture-models.js';
import { ROOT } from '../../helpers/spec.js';
import { useSwiftShader, webgpuSession } from '../../helpers/webgpu.js';

beforeAll(useSwiftShader);

const SPECS = readdirSync(join(ROOT, 'specs')).filter((f) => f.endsWith('.net'));

function recipes(file: string) {
  // Specs that import an ONNX model (the ResNet18 finetune) find it beside them there.
  const path = join(withFixtureModels('specs'), 'specs', file);
  const text = readFileSync(path, 'utf8');
  const { spec, diagnostics } = checkSpec(text, path, readImport, readBinary);
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  // Every train block checked, so none is skipped unseen.
  expect(spec.recipes.size, file).toBe(text.match(/^train /gm)?.length ?? 0);
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
