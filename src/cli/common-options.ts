import { join, resolve } from 'node:path';
import { BACKEND_REQUESTS } from '../core/engine/backend-requests.js';

/** --backend, shared by every command that runs a model. */
export const backendOption = {
  choices: BACKEND_REQUESTS,
  default: 'auto' as const,
  describe: 'TensorFlow.js backend (README: "Backends")',
};

/** --inference, shared by every command that runs a trained model forward (inpaint, eval, run, bench). */
export const inferenceOption = {
  choices: ['auto', 'tfjs', 'onnx'] as const,
  default: 'auto' as const,
  describe: 'engine for inference: onnx (ONNX Runtime), tfjs (the --backend), auto: onnx when the backend is wasm or cpu (README: "Backends")',
};

/** --run, shared by the commands that work in a run folder. */
export const runOption = { type: 'string' as const, describe: 'run folder (default: <output.dir>/<name>)' };

/** The run folder: --run if given (against the working folder), else <output.dir>/<name>. */
export function runDirOf(run: string | undefined, config: { output: { dir: string }; name: string }, cwd: string): string {
  return run ? resolve(cwd, run) : join(config.output.dir, config.name);
}
