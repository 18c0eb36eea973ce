import { isAbsolute, resolve } from 'node:path';
import { type Alias, isMap, LineCounter, parseDocument, visit } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigProblem, formatKeyPath } from './config-error.js';
import { type ExperimentConfig, ExperimentConfigSchema, LIST_PATH_KEYS, PATH_KEYS } from './schema.js';

/**
 * Parses and validates the text of an experiment config. `file` names the file in messages and
 * its folder anchors relative paths. The result is the resolved config: defaults filled in and
 * every path absolute. Throws ConfigError listing every problem with its line and column.
 */
export function parseConfig(text: string, file: string, baseDir: string): ExperimentConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((error) => {
        const { line, col } = lineCounter.linePos(error.pos[0]);
        return { path: '', message: `YAML syntax error: ${firstLine(error.message)}`, line, column: col };
      }),
      'Fix the YAML syntax at the line and column shown (indentation, a missing colon or quote).',
    );
  }
  if (!isMap(doc.contents)) {
    throw new ConfigError(file, [{ path: '', message: 'the file must hold a YAML mapping of keys (name, data, masks, ...)', line: 1, column: 1 }]);
  }
  let json: unknown;
  try {
    json = doc.toJS();
  } catch (error) {
    // The yaml package refuses aliases that expand to too much data (a "billion laughs" file) and
    // aliases of an anchor that is not set before them: both are the file's fault, not ours.
    if (!(error instanceof ReferenceError)) throw error;
    const { problem, hint } = aliasProblem(doc, lineCounter, error.message);
    throw new ConfigError(file, [problem], hint);
  }
  const result = ExperimentConfigSchema.safeParse(json);
  if (!result.success) {
    const problems = result.error.issues.flatMap((issue) => problemsOf(issue, doc, lineCounter));
    problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
    throw new ConfigError(file, problems);
  }
  return resolvePaths(result.data, baseDir);
}

/** The problem of a YAML alias that cannot be expanded, at the first alias to blame, and its hint. */
function aliasProblem(doc: ReturnType<typeof parseDocument>, lineCounter: LineCounter, message: string): { problem: ConfigProblem; hint: string } {
  const aliases: Alias[] = [];
  visit(doc, {
    Alias: (_key, node) => {
      aliases.push(node);
    },
  });
  const excessive = /excessive alias count/i.test(message);
  const blamed = excessive ? aliases[0] : (aliases.find((alias) => alias.resolve(doc) === undefined) ?? aliases[0]);
  const at = blamed?.range ? lineCounter.linePos(blamed.range[0]) : undefined;
  const where = at ? { line: at.line, column: at.col } : {};
  if (excessive)
    return {
      problem: {
        path: '',
        message: `YAML aliases expand to too much data (${aliases.length} aliases that repeat one another, like a "billion laughs" file)`,
        ...where,
      },
      hint: 'Write the values out; a config needs few YAML anchors and aliases (&name, *name), if any.',
    };
  const name = blamed?.source ?? '?';
  return {
    problem: { path: '', message: `YAML alias *${name} has no anchor &${name} before it`, ...where },
    hint: `Set the anchor &${name} on a value above the alias, or write the value out.`,
  };
}

function problemsOf(issue: z.core.$ZodIssue, doc: ReturnType<typeof parseDocument>, lineCounter: LineCounter): ConfigProblem[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const path = [...issue.path, key];
      return { path: formatKeyPath(path), message: 'unknown key (check its spelling and section)', ...position(doc, lineCounter, path, true) };
    });
  }
  return [{ path: formatKeyPath(issue.path), message: messageOf(issue), ...position(doc, lineCounter, issue.path, false) }];
}

function messageOf(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && issue.message.includes('received undefined')) return 'required key is missing';
  return issue.message;
}

/** Line and column of the key at `path`, or of its nearest ancestor present in the file. */
function position(
  doc: ReturnType<typeof parseDocument>,
  lineCounter: LineCounter,
  path: readonly PropertyKey[],
  atKey: boolean,
): { line?: number; column?: number } {
  for (let depth = path.length; depth >= 0; depth--) {
    const keys = path.slice(0, depth).map((k) => (typeof k === 'symbol' ? String(k) : k));
    const parentPath = keys.slice(0, -1);
    const last = keys[keys.length - 1];
    const parent = depth === 0 ? doc.contents : doc.getIn(parentPath, true);
    let offset: number | undefined;
    if (depth > 0 && isMap(parent)) {
      const pair = parent.items.find((item) => (item.key as { value?: unknown } | null)?.value === last);
      const keyNode = pair?.key as { range?: [number, number, number] } | undefined;
      const valueNode = pair?.value as { range?: [number, number, number] } | undefined;
      offset = (atKey || depth < path.length ? keyNode?.range?.[0] : (valueNode?.range?.[0] ?? keyNode?.range?.[0])) ?? undefined;
    } else {
      const node = depth === 0 ? doc.contents : doc.getIn(keys, true);
      offset = (node as { range?: [number, number, number] } | null)?.range?.[0];
    }
    if (offset !== undefined) {
      const { line, col } = lineCounter.linePos(offset);
      return { line, column: col };
    }
  }
  return {};
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}

function resolvePaths(config: ExperimentConfig, baseDir: string): ExperimentConfig {
  const copy = structuredClone(config) as Record<string, unknown>;
  for (const keyPath of PATH_KEYS) {
    let holder: Record<string, unknown> | undefined = copy;
    for (const key of keyPath.slice(0, -1)) holder = holder?.[key] as Record<string, unknown> | undefined;
    const last = keyPath[keyPath.length - 1] as string;
    const value = holder?.[last];
    if (holder && typeof value === 'string' && !isAbsolute(value)) holder[last] = resolve(baseDir, value);
  }
  for (const [list, key] of LIST_PATH_KEYS) {
    for (const item of (copy[list] ?? []) as Record<string, unknown>[]) {
      const value = item[key];
      if (typeof value === 'string' && !isAbsolute(value)) item[key] = resolve(baseDir, value);
    }
  }
  return copy as ExperimentConfig;
}
