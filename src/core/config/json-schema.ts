import { z } from 'zod';
import { ExperimentConfigSchema } from './schema.js';

/**
 * The JSON Schema of experiment configs, generated from the zod schema so the two cannot drift
 * (a test compares it with the committed configs/experiment.schema.json). Draft-07 because the
 * YAML language server reads it best. It describes the file as written (defaults optional).
 */
export function experimentJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(ExperimentConfigSchema, { io: 'input', target: 'draft-7', unrepresentable: 'throw' }) as Record<string, unknown>;
  return {
    $schema: schema.$schema,
    $id: 'https://pconv-bench.dev/schemas/experiment.schema.json',
    title: 'pconv-bench experiment config',
    description: 'One experiment: data, masks, models, loss, training and output. See README.md, "Config keys".',
    ...Object.fromEntries(Object.entries(schema).filter(([key]) => key !== '$schema')),
  };
}

export function experimentJsonSchemaText(): string {
  return `${JSON.stringify(experimentJsonSchema(), null, 2)}\n`;
}
