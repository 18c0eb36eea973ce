import type { Output } from './output.js';

/** What every command handler gets: where to write, and a signal that fires on Ctrl-C. */
export interface CommandContext {
  readonly output: Output;
  readonly signal: AbortSignal;
  readonly cwd: string;
}
