import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { expect, test } from 'vitest';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const backendModule = pathToFileURL(resolve(repoRoot, 'dist/core/engine/backend.js')).href;
const resolves = (name: string) => {
  try {
    import.meta.resolve(name);
    return true;
  } catch {
    return false;
  }
};
// Where the claim can be checked: Dawn installed (an optional dependency), Vulkan the only API it
// could use (Linux: VK_* below hide every driver), and no tfjs-node for auto to take first.
const checkable = process.platform === 'linux' && resolves('webgpu') && !resolves('@tensorflow/tfjs-node') && !resolves('@tensorflow/tfjs-node-gpu');

/**
 * `--backend auto` on a machine without a usable GPU must not print Dawn's native warnings (they
 * go straight to the process's stderr, where no JavaScript can silence them): the adapter search
 * runs in a child process (src/core/engine/webgpu/probe.ts). Run against the build (npm test builds
 * first) in its own process, with the Vulkan loader pointed at a driver file that does not exist,
 * so that Dawn finds nothing and, loaded in-process, would print "vkCreateInstance: Found no drivers!".
 */
test.runIf(checkable)('auto without a GPU: wasm, the probe says why, and nothing from Dawn or Vulkan on stderr', () => {
  const script = `
    const { setupBackend } = await import(${JSON.stringify(backendModule)});
    const info = await setupBackend('auto');
    process.stdout.write(JSON.stringify({ name: info.name, notes: info.notes }));
    process.exit(0);
  `;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, VK_ICD_FILENAMES: '/nonexistent/icd.json', VK_DRIVER_FILES: '/nonexistent/icd.json' },
  });
  expect(child.status, child.stderr).toBe(0);
  const info = JSON.parse(child.stdout) as { name: string; notes: string[] };
  expect(info.name).toBe('wasm');
  expect(info.notes.join(' ')).toMatch(/the webgpu package found no GPU adapter/);
  expect(child.stderr).not.toMatch(/vkCreateInstance|loader_get_json|Warning:/);
});
