import { join, resolve } from 'node:path';

/** --backend, shared by every command that runs a model. */
export const backendOption = {
  choices: ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const,
  default: 'auto' as const,
  describe: 'TensorFlow.js backend (README: "Backends")',
};

/** --run, shared by the commands that work in a run folder. */
export const runOption = { type: 'string' as const, describe: 'run folder (default: <output.dir>/<name>)' };

/** The run folder: --run if given (against the working folder), else <output.dir>/<name>. */
export function runDirOf(run: string | undefined, config: { output: { dir: string }; name: string }, cwd: string): string {
  return run ? resolve(cwd, run) : join(config.output.dir, config.name);
}
