import { resolve } from 'node:path';
import { PUBLISHED_FORMATS, type PublishedFormat } from '../core/published/published-model.js';

/** eval --model NAME=FORMAT:FILE, read; FILE may hold colons of its own (C:\...). */
function split(value: string): { name: string; format: string; file: string } | undefined {
  const eq = value.indexOf('=');
  if (eq <= 0) return undefined;
  const colon = value.indexOf(':', eq + 1);
  if (colon < 0) return undefined;
  return { name: value.slice(0, eq), format: value.slice(eq + 1, colon), file: value.slice(colon + 1) };
}

/** What is wrong with a --model value, for yargs' check (a usage error, exit 1), or undefined. */
export function modelOptionProblem(value: string): string | undefined {
  const parts = split(value);
  if (!parts?.name.trim() || !parts.format || !parts.file) return `--model ${JSON.stringify(value)}: expected NAME=FORMAT:FILE`;
  if (!PUBLISHED_FORMATS.includes(parts.format as PublishedFormat))
    return `--model ${JSON.stringify(value)}: ${parts.format} is not a model format pconv-bench reads (${PUBLISHED_FORMATS.join(', ')})`;
  return undefined;
}

/** A --model value as a published model to score, FILE resolved against `cwd`; throws on a malformed one. */
export function parseModelOption(value: string, cwd: string): { name: string; format: PublishedFormat; file: string } {
  const problem = modelOptionProblem(value);
  const parts = split(value);
  if (problem || !parts) throw Object.assign(new Error(problem), { code: 'USAGE' });
  return { name: parts.name, format: parts.format as PublishedFormat, file: resolve(cwd, parts.file) };
}
