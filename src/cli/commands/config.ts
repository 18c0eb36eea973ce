import type { CommandModule } from 'yargs';
import { type CommandEnv, defineCommand, type GlobalArgs } from '../define-command.js';

/** `pconv-bench config <file>`: validates a config and prints it resolved (defaults, absolute paths). */
export function configCommand(env: CommandEnv): CommandModule<GlobalArgs, object> {
  return defineCommand({
    ...env,
    name: 'config',
    command: 'config <config>',
    describe: 'Validate a config and print it resolved: defaults filled in, paths absolute',
    builder: (y) => y.positional('config', { type: 'string', demandOption: true, describe: 'experiment YAML file' }),
    run: async (args, ctx) => {
      const { loadConfig } = await import('../../core/config/load-config.js');
      const { stringify } = await import('yaml');
      const { file, config } = await loadConfig(args.config, ctx.cwd);
      ctx.output.print(`# resolved from ${file}\n${stringify(config)}`);
      ctx.output.event({ type: 'result', command: 'config', data: { file, config } });
    },
  }) as CommandModule<GlobalArgs, object>;
}
