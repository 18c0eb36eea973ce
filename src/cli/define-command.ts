import type { Argv, CommandModule } from 'yargs';
import type { CommandContext } from './command-context.js';
import { runCommandHandler } from './run-command-handler.js';

export interface GlobalArgs {
  json: boolean;
}

/**
 * One CLI command: yargs options in `builder`, the work in `run`. `run` should import heavy modules
 * (TensorFlow.js, sharp) inside itself so that `--help` stays instant.
 */
export function defineCommand<A extends object>(spec: {
  command: string | readonly string[];
  describe: string;
  builder: (y: Argv<GlobalArgs>) => Argv<A>;
  run: (args: A & GlobalArgs, ctx: CommandContext) => Promise<void>;
  name: string;
  setExitCode: (code: number) => void;
  argv: readonly string[];
}): CommandModule<GlobalArgs, A> {
  return {
    command: spec.command as string | string[],
    describe: spec.describe,
    builder: spec.builder as CommandModule<GlobalArgs, A>['builder'],
    handler: async (args) => {
      const all = args as unknown as A & GlobalArgs;
      spec.setExitCode(await runCommandHandler(spec.name, spec.argv, Boolean(all.json), (ctx) => spec.run(all, ctx)));
    },
  };
}

export interface CommandEnv {
  readonly setExitCode: (code: number) => void;
  readonly argv: readonly string[];
}
