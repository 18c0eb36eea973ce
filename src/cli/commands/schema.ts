import type { CommandModule } from 'yargs';
import { type CommandEnv, defineCommand, type GlobalArgs } from '../define-command.js';

/** `pconv-bench schema`: prints or writes the JSON Schema of experiment configs. */
export function schemaCommand(env: CommandEnv): CommandModule<GlobalArgs, object> {
  return defineCommand({
    ...env,
    name: 'schema',
    command: 'schema',
    describe: 'Print the JSON Schema of experiment configs, or write it with --out',
    builder: (y) => y.option('out', { type: 'string', describe: 'write to this file (configs/experiment.schema.json in this repo)' }),
    run: async (args, ctx) => {
      const { resolve } = await import('node:path');
      const { experimentJsonSchemaText } = await import('../../core/config/json-schema.js');
      const { writeFileAtomic } = await import('../../core/io/atomic.js');
      const text = experimentJsonSchemaText();
      if (args.out) {
        const path = resolve(ctx.cwd, args.out);
        await writeFileAtomic(path, text);
        ctx.output.info(`wrote ${path}`);
        ctx.output.event({ type: 'result', command: 'schema', data: { file: path } });
      } else {
        ctx.output.print(text);
        ctx.output.event({ type: 'result', command: 'schema', data: { schema: JSON.parse(text) } });
      }
    },
  }) as CommandModule<GlobalArgs, object>;
}
