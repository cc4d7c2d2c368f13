// Every spec under test/errors/ is checked and its diagnostics, rendered as the CLI prints them
// (source line, carets, notes), must match the committed baseline in test/baselines/. The specs
// that import an ONNX model name it beside them (`resnet18.onnx`): they are checked from a
// mirror of the folder with the fixture in place.
// UPDATE_BASELINES=1 rewrites the baselines; review the diff before committing.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic, summary } from '../../runtime/cli/print.js';
import { readSpec } from '../../runtime/cli/load.js';
import { withFixtureModels } from '../helpers/fixture-models.js';
import { ROOT } from '../helpers/spec.js';

const cases = readdirSync(join(ROOT, 'test/errors')).filter((f) => f.endsWith('.net'));

describe('diagnostic baselines', () => {
  it.each(cases)('%s', (name) => {
    const previous = process.cwd();
    process.chdir(withFixtureModels('test/errors')); // file names print as in the repository
    try {
      const loaded = readSpec(`test/errors/${name}`);
      expect(loaded.diagnostics.length).toBeGreaterThan(0);
      const text =
        loaded.diagnostics.map((d) => formatDiagnostic(d, loaded.sources)).join('\n') +
        `\n${summary(loaded.diagnostics)}\n`;
      const baseline = join(ROOT, 'test/baselines', name.replace(/\.net$/, '.errors.txt'));
      if (process.env.UPDATE_BASELINES) writeFileSync(baseline, text);
      expect(text).toBe(readFileSync(baseline, 'utf8'));
    } finally {
      process.chdir(previous);
    }
  });
});
