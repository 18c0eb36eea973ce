import { isAbsolute, resolve } from 'node:path';
import type { PconvEvent } from '../../../src/protocol/events.js';

export type ConfigProblem = NonNullable<Extract<PconvEvent, { type: 'error' }>['problems']>[number];

/** Zero-based, end exclusive: what vscode.Range takes. */
export interface DiagnosticSpec {
  readonly startLine: number;
  readonly startColumn: number;
  readonly endLine: number;
  readonly endColumn: number;
  readonly message: string;
  /** The config key, e.g. masks.perBin (vscode shows it as the diagnostic's code). */
  readonly path: string;
}

/**
 * Where on its line a problem is underlined: from the CLI's (1-based) column to the end of the
 * line's content, without a trailing `# comment`. The CLI points at a key's value (`seed: "a"` ->
 * column 7) or at the start of a mapping that lacks a key; either way the rest of the line is what
 * the message is about. Past the end of the line (an edited file) the whole line is taken.
 */
function spanOnLine(text: string, column: number): { start: number; end: number } {
  const content = text.replace(/\s+#.*$/, '').trimEnd();
  const indent = content.length - content.trimStart().length;
  const start = Math.max(column - 1, 0);
  if (start >= content.length) return { start: indent, end: Math.max(content.length, indent + 1) };
  return { start, end: content.length };
}

/**
 * The `problems[]` of pconv-bench's error events as diagnostics per file (absolute paths, relative
 * ones resolved against `cwd`, where the CLI ran). `readText` gives a file's current text, from an
 * open editor or the disk; a file it cannot give still gets its diagnostics, one character wide.
 */
export function problemsToDiagnostics(
  problems: readonly ConfigProblem[],
  cwd: string,
  readText: (file: string) => string | undefined,
): Map<string, DiagnosticSpec[]> {
  const byFile = new Map<string, DiagnosticSpec[]>();
  const lines = new Map<string, string[] | undefined>();
  for (const problem of problems) {
    const file = isAbsolute(problem.file) ? problem.file : resolve(cwd, problem.file);
    if (!lines.has(file)) lines.set(file, readText(file)?.split(/\r?\n/));
    const line = Math.max((problem.line ?? 1) - 1, 0);
    const text = lines.get(file)?.[line];
    const span =
      text === undefined ? { start: Math.max((problem.column ?? 1) - 1, 0), end: Math.max(problem.column ?? 1, 1) } : spanOnLine(text, problem.column ?? 1);
    const list = byFile.get(file) ?? [];
    list.push({
      startLine: line,
      startColumn: span.start,
      endLine: line,
      endColumn: span.end,
      message: problem.path ? `${problem.path}: ${problem.message}` : problem.message,
      path: problem.path,
    });
    byFile.set(file, list);
  }
  return byFile;
}
