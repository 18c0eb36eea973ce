import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';

/** The pconv-bench repository this extension lives in, and its CLI (built into dist/ by the root `npm test`/`npm ci`). */
export const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../..');
export const realCli = join(repoRoot, 'bin', 'pconv-bench.js');

export function assertCliBuilt(): void {
  if (!existsSync(join(repoRoot, 'dist', 'cli', 'main.js'))) throw new Error(`pconv-bench is not built: run \`npm run build\` in ${repoRoot} first`);
}

/** Temp folders for one test file, removed after it. */
export function useTempDirs(): () => Promise<string> {
  const made: string[] = [];
  afterAll(async () => {
    for (const dir of made) await rm(dir, { recursive: true, force: true });
  });
  return async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pconv-ext-'));
    made.push(dir);
    return dir;
  };
}
