// docs/reference.md is generated from the registries (`npm run docs`); it must be current.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CODES, registryReference } from '../../compiler/index.js';
import { ROOT } from '../helpers/spec.js';

describe('docs/reference.md', () => {
  it('matches the registries (run `npm run docs` after changing one)', () => {
    expect(readFileSync(join(ROOT, 'docs/reference.md'), 'utf8')).toBe(registryReference());
  });

  it('docs/diagnostics.md explains every diagnostic code', () => {
    const page = readFileSync(join(ROOT, 'docs/diagnostics.md'), 'utf8');
    for (const code of Object.values(CODES)) expect(page).toContain(`| ${code} |`);
  });

  it('lists every layer the checker accepts', () => {
    const reference = registryReference();
    for (const layer of ['Linear', 'Flatten', 'ReLU']) expect(reference).toContain(`| \`${layer}`);
  });
});
