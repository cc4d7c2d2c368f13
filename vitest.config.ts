import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests train real models and start real processes; speed goals live in `npm run bench`.
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
