import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export const repoRoot = resolve(import.meta.dirname, '../..');
const bin = resolve(repoRoot, 'bin/pconv-bench.js');

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the real, built CLI (bin/pconv-bench.js -> dist/) as a child process. */
export function runCli(
  args: readonly string[],
  options: { cwd?: string; onStderr?: (chunk: string, child: ReturnType<typeof spawn>) => void } = {},
): Promise<CliRun> {
  if (!existsSync(resolve(repoRoot, 'dist/cli/main.js')))
    throw new Error('dist/ is missing: the CLI tests run the built CLI; run `npm run build` (npm test does)');
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: options.cwd ?? repoRoot, env: { ...process.env, FORCE_COLOR: '0' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      options.onStderr?.(chunk.toString(), child);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
}
