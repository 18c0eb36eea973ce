import { UserError } from '../errors.js';

/** One problem of a config file, located where the editor can show it. */
export interface ConfigProblem {
  /** Dotted key path ("masks.bins[2]"), empty for a YAML syntax error. */
  readonly path: string;
  readonly message: string;
  /** 1-based line and column in the file, when known. */
  readonly line?: number;
  readonly column?: number;
}

/** A config that cannot run: every problem printed as `file:line:col path.to.key: message`. */
export class ConfigError extends UserError {
  readonly file: string;
  readonly problems: readonly ConfigProblem[];

  constructor(file: string, problems: readonly ConfigProblem[], hint?: string) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super('CONFIG_INVALID', `${file}: ${count}`, {
      details: problems.map((p) => formatProblem(file, p)),
      hint: hint ?? 'Fix the keys above; configs/experiment.schema.json lists every key, and editors with the YAML extension complete them.',
    });
    this.file = file;
    this.problems = problems;
  }
}

export function formatProblem(file: string, problem: ConfigProblem): string {
  const where = problem.line === undefined ? file : `${file}:${problem.line}:${problem.column ?? 1}`;
  return problem.path ? `${where} ${problem.path}: ${problem.message}` : `${where}: ${problem.message}`;
}

/** ["masks", "bins", 2] -> "masks.bins[2]" */
export function formatKeyPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}
