import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests train real models and start real processes; speed goals live in `npm run bench`.
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // The `netspec train` runs the tests start keep their compiled graphs out of the user's cache.
    env: { XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'netspec-test-cache-')) },
  },
});
