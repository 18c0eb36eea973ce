import { readFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { parseConfig } from './parse-config.js';
import type { ExperimentConfig } from './schema.js';

export interface LoadedConfig {
  /** Absolute path of the YAML file. */
  readonly file: string;
  readonly config: ExperimentConfig;
}

/** Reads, validates and resolves an experiment config file. */
export async function loadConfig(path: string, cwd = process.cwd()): Promise<LoadedConfig> {
  const file = resolve(cwd, path);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(
      'CONFIG_UNREADABLE',
      `cannot read config ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : String(error)}`,
      {
        hint: 'Pass the path of an experiment YAML file, for example configs/demo.yaml.',
        cause: error,
      },
    );
  }
  const shown = relative(cwd, file) || file;
  return { file, config: parseConfig(text, shown.startsWith('..') ? file : shown, dirname(file)) };
}
