import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // a temporary $XDG_CACHE_HOME: tests never touch the user's warm-start cache
    globalSetup: ['test/helpers/cache-home.ts'],
  },
});
