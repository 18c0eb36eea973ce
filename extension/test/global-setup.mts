import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A finished run of configs/smoke.yaml made by the real CLI; tests copy it before changing it. */
    smokeRun: string;
  }
}

const extensionDir = fileURLToPath(new URL('..', import.meta.url));
const repoRoot = join(extensionDir, '..');

/**
 * vitest globalSetup: builds dist/ (node build.mjs) so the tests that load the built extension
 * never run a stale bundle, and makes one finished smoke run with the real CLI (a few seconds)
 * that the host tests share instead of each training its own.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  execFileSync(process.execPath, [join(extensionDir, 'build.mjs')], { stdio: 'inherit' });
  const cli = join(repoRoot, 'bin', 'pconv-bench.js');
  if (!existsSync(join(repoRoot, 'dist', 'cli', 'main.js'))) throw new Error(`pconv-bench is not built: run \`npm run build\` in ${repoRoot} first`);
  const dir = await mkdtemp(join(tmpdir(), 'pconv-ext-smoke-'));
  const run = join(dir, 'smoke');
  execFileSync(process.execPath, [cli, 'run', join(repoRoot, 'configs', 'smoke.yaml'), '--run', run, '--backend', 'wasm'], { cwd: repoRoot, stdio: 'pipe' });
  project.provide('smokeRun', run);
  return () => rm(dir, { recursive: true, force: true });
}
