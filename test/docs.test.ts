import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
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

  test('every photo of data/photos-512 (the 512 px test split of configs/gpu-rehearsal.yaml) has its licence row', () => {
    const rows = readFileSync(join(repoRoot, 'data/photos-512/LICENSES.tsv'), 'utf8').trim().split('\n').slice(1);
    const ids = new Set(rows.map((row) => row.split('\t')[0]));
    const files = readdirSync(join(repoRoot, 'data/photos-512')).filter((f) => f.endsWith('.jpg'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) expect(ids.has(file.replace(/\.jpg$/, ''))).toBe(true);
    expect(rows).toHaveLength(files.length);
    for (const row of rows) expect(row.split('\t')).toHaveLength(7);
  });
});

describe('src/core/engine/README.md (the engine map)', () => {
  const engineDir = join(repoRoot, 'src/core/engine');
  const map = readFileSync(join(engineDir, 'README.md'), 'utf8');

  test('names every .ts file under src/core/engine by its path from there', () => {
    const files = readdirSync(engineDir, { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts'))
      .map((file) => file.split('\\').join('/'));
    expect(files.length).toBeGreaterThan(30);
    expect(files.filter((file) => !map.includes(`\`${file}\``))).toEqual([]);
  });

  test('every file path it names exists (from src/core/engine or the repository root; links from the map)', () => {
    const quoted = [...map.matchAll(/`([^`\s]+\.(?:ts|mjs|md|json))`/g)].map((m) => m[1] as string).filter((path) => !path.includes('*'));
    const linked = [...map.matchAll(/\]\(([^)#\s]+)\)/g)].map((m) => relative(repoRoot, join(engineDir, m[1] as string)));
    expect(quoted.length).toBeGreaterThan(30);
    const missing = [
      ...quoted.filter((path) => !existsSync(join(engineDir, path)) && !existsSync(join(repoRoot, path))),
      ...linked.filter((path) => !existsSync(join(repoRoot, path))),
    ];
    expect(missing).toEqual([]);
  });
});

/** The repository's text files as a clone has them: tracked, plus new files git does not ignore. */
function repoTextFiles(): string[] {
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: repoRoot,
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
  });
  const text = /\.(ts|mts|mjs|js|md|json|yaml|yml|sh|py)$/;
  return [...new Set(listed.split('\0'))].filter((file) => text.test(file) && existsSync(join(repoRoot, file)));
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function headingSlug(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .trim()
    .replace(/\s/g, '-');
}

/** Markdown without fenced code blocks and code spans, where brackets are not links. */
function proseOf(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
}

function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  for (const [, heading] of proseOf(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*$/gm)) {
    const slug = headingSlug(heading as string);
    let unique = slug;
    for (let i = 1; anchors.has(unique); i++) unique = `${slug}-${i}`;
    anchors.add(unique);
  }
  return anchors;
}

describe('docs live in the repository', () => {
  const files = repoTextFiles();

  test('no file cites the design notes outside the repository, or a path into ../shared', () => {
    // Built from parts so that this file does not match itself.
    const outsideNotes = new RegExp(`\\b(${['REFERENCE', 'ENGINE', 'ARCHITECTURE'].join('|')})\\.md\\b`);
    const problems: string[] = [];
    for (const file of files) {
      const lines = readFileSync(join(repoRoot, file), 'utf8').split('\n');
      lines.forEach((line, i) => {
        const where = `${file}:${i + 1}: ${line.trim()}`;
        if (outsideNotes.test(line) || /\/work\/shared\b/.test(line)) problems.push(where);
        // A ../shared that stays inside the repository is fine (src/core/engine/shared, the extension's src/shared).
        for (const [path] of line.matchAll(/(?:\.\.\/)+shared\b/g)) {
          if (relative(repoRoot, resolve(repoRoot, dirname(file), path)).startsWith('..')) problems.push(where);
        }
      });
    }
    expect(problems).toEqual([]);
  });

  test('every relative link of README.md, BENCHMARKS.md and docs/ leads to a file (and its heading)', () => {
    const docs = files.filter((file) => file === 'README.md' || file === 'BENCHMARKS.md' || (file.startsWith('docs/') && file.endsWith('.md')));
    expect(docs).toContain('docs/science.md');
    const broken: string[] = [];
    for (const file of docs) {
      const text = readFileSync(join(repoRoot, file), 'utf8');
      for (const [link, href] of proseOf(text).matchAll(/\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(href as string)) continue;
        const [path, anchor] = (href as string).split('#') as [string, string | undefined];
        const target = path === '' ? join(repoRoot, file) : resolve(repoRoot, dirname(file), decodeURIComponent(path));
        if (relative(repoRoot, target).startsWith('..') || !existsSync(target)) broken.push(`${file}: ${link} (no such file)`);
        else if (anchor && target.endsWith('.md') && !anchorsOf(readFileSync(target, 'utf8')).has(anchor)) broken.push(`${file}: ${link} (no such heading)`);
      }
    }
    expect(broken).toEqual([]);
  });
});
