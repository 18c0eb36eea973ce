import { ConfigError } from '../../src/core/config/config-error.js';
import { parseConfig } from '../../src/core/config/parse-config.js';

/** The problems of a config text, one `file:line:col path: message` line each; none for a valid config. */
export function problemsOf(text: string): string[] {
  try {
    parseConfig(text, 'exp.yaml', '/base');
  } catch (error) {
    if (error instanceof ConfigError) return [...error.details];
    throw error;
  }
  return [];
}
