import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.mts'],
    // The runs-model test creates a real run folder with the CLI (training included) while other
    // files run beside it on a 2-core machine; a slow moment must not read as a failure.
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
