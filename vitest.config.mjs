import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Each file loads both backends; wasm pthread workers cost memory, so
    // keep concurrency at the core count.
    maxWorkers: 2,
  },
});
