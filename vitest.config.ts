import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Generous: the end-to-end files spawn the real CLI (training included) while other files run
    // beside them on a 2-core machine; a slow moment must not read as a failure.
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
