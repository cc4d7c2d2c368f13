import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests train real models and start real processes; speed goals live in `npm run bench`.
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // The `netspec train` runs the tests start neither read nor fill the user's graph cache, and
    // do the same work whichever test ran first; test/runtime/cache/ turns it on where it tests it.
    env: { NETSPEC_NO_CACHE: '1' },
  },
});
