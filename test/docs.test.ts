import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { experimentJsonSchema } from '../src/core/config/json-schema.js';
import { repoRoot } from './helpers/run-cli.js';

const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');

/** Every key path of the config's JSON Schema, e.g. "masks.border.margin". */
function keyPaths(node: Record<string, unknown>, prefix = ''): string[] {
  const variants = (node.anyOf ?? node.oneOf) as Record<string, unknown>[] | undefined;
  if (variants) return variants.flatMap((v) => keyPaths(v, prefix));
  const properties = node.properties as Record<string, Record<string, unknown>> | undefined;
  if (!properties) return [];
  return Object.entries(properties).flatMap(([key, child]) => {
    if (key === '$schema' || key === 'kind') return [];
    const path = prefix ? `${prefix}.${key}` : key;
    return [path, ...keyPaths(child, path)];
  });
}

describe('README', () => {
  test('documents every config key', () => {
    const missing = [...new Set(keyPaths(experimentJsonSchema()))].filter((path) => !readme.includes(`\`${path}\``));
    expect(missing).toEqual([]);
  });

  test('names the install, demo and test commands, and .ci/run calls the same test command', () => {
    expect(readme).toContain('npm ci ');
    expect(readme).toContain('npx pconv-bench masks configs/demo.yaml');
    expect(readme).toContain('npm test ');
    const ci = readFileSync(join(repoRoot, '.ci/run'), 'utf8');
    expect(ci).toMatch(/^npm ci\b/m);
    expect(ci).toMatch(/^npm test$/m);
  });

  test('every bundled photo has its licence row', () => {
    const rows = readFileSync(join(repoRoot, 'data/photos/LICENSES.tsv'), 'utf8').trim().split('\n').slice(1);
    const ids = new Set(rows.map((row) => row.split('\t')[0]));
    const files = readdirSync(join(repoRoot, 'data/photos')).filter((f) => f.endsWith('.png'));
    expect(files.length).toBeGreaterThan(40);
    for (const file of files) expect(ids.has(file.replace(/\.png$/, ''))).toBe(true);
    for (const row of rows) expect(row.split('\t')).toHaveLength(7);
  });
});
