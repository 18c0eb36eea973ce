import { defineConfig } from 'vitest/config';

/**
 * The test files of each slower project, by cost; every other test/**\/*.test.ts
 * is unit. A file goes to a project by its name's suffix (*.e2e.test.ts, *.browser.test.ts,
 * *.integration.test.ts, *.webgpu.test.ts). test/vitest-projects.test.ts checks that each test
 * file is in exactly one project.
 */
export const slowProjectFiles = {
  /** The built CLI (bin/pconv-bench.js -> dist/) as a child process on fixture folders. */
  e2e: ['test/**/*.e2e.test.ts'],
  /** Opens pages in headless Chromium (playwright-core; /usr/bin/chromium or CHROMIUM_PATH). */
  browser: ['test/**/*.browser.test.ts'],
  /** WebGPU kernels against cpu: need an adapter (Mesa's software Vulkan will do); PCONV_REQUIRE_WEBGPU=1 fails instead of skipping. */
  webgpu: ['test/**/*.webgpu.test.ts'],
  /** Trains in-process (trainModel, trainSteps on cpu, runBenchmark), has a single test over 10 s (VGG16 weight files, 500 steps of training masks), or runs the built package (dist/) in child processes. */
  integration: ['test/**/*.integration.test.ts'],
} as const;

export const allTestFiles = 'test/**/*.test.ts';

/** Short, so that a hang in the quick loop shows in seconds; the slowest unit test took 9 s in a CI run on this machine under load 8. */
const UNIT_TIMEOUT_MS = 30_000;
/** Generous: these spawn the CLI or train while other files run beside them on a 2-core machine; a slow moment must not read as a failure. */
const SLOW_TIMEOUT_MS = 180_000;

/** Run after unit (so that `npm test` shows a quick failure first), with vitest's default workers (one fewer than the cores): the CLI children and training need the rest. */
const slow = (name: keyof typeof slowProjectFiles) => ({
  test: {
    name,
    include: [...slowProjectFiles[name]],
    testTimeout: SLOW_TIMEOUT_MS,
    hookTimeout: SLOW_TIMEOUT_MS,
    sequence: { groupOrder: 1 },
  },
});

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: [allTestFiles],
          exclude: Object.values(slowProjectFiles).flat(),
          testTimeout: UNIT_TIMEOUT_MS,
          hookTimeout: UNIT_TIMEOUT_MS,
          // Every core (vitest's default leaves one to itself): 85 s -> 55 s on 2 cores; these files spawn nothing.
          maxWorkers: '100%',
          sequence: { groupOrder: 0 },
        },
      },
      slow('integration'),
      slow('e2e'),
      slow('browser'),
      slow('webgpu'),
    ],
  },
});
