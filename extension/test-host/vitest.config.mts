import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * The real-host suite (`npm run test:host`): the packaged extension in a real VS Code (code-server)
 * driven through Chromium. Apart from the unit/webview suite (vitest.config.mts): it installs code-server
 * on first use and takes a couple of minutes.
 */
export default defineConfig({
  test: {
    // extension/, as for the other suite (its cache goes to the same place).
    root: fileURLToPath(new URL('..', import.meta.url)),
    include: ['test-host/**/*.test.ts'],
    // The steps share one code-server and one browser page, in order.
    fileParallelism: false,
    testTimeout: 180_000,
    // beforeAll installs code-server on a cold cache (about a minute and a half) and packages the extension.
    hookTimeout: 600_000,
    reporters: ['verbose'],
  },
});
