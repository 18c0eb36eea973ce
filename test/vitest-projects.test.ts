import fg from 'fast-glob';
import picomatch from 'picomatch';
import { describe, expect, test } from 'vitest';
import config, { allTestFiles, slowProjectFiles } from '../vitest.config.js';
import { repoRoot } from './helpers/run-cli.js';

interface ProjectFiles {
  name: string;
  include: string[];
  exclude: string[];
}

/** The projects as vitest.config.ts declares them (inline configs only). */
function projects(): ProjectFiles[] {
  return (config.test?.projects ?? []).map((project) => {
    if (typeof project !== 'object' || project === null || !('test' in project) || typeof project.test !== 'object')
      throw new Error('vitest.config.ts: every project must be an inline config with a test block');
    const { name, include, exclude } = project.test as { name?: unknown; include?: string[]; exclude?: string[] };
    if (typeof name !== 'string' || include === undefined) throw new Error('vitest.config.ts: every project needs a name and include globs');
    return { name, include, exclude: exclude ?? [] };
  });
}

function filesOf(project: ProjectFiles, files: readonly string[]): string[] {
  const included = picomatch(project.include);
  const excluded = project.exclude.length === 0 ? () => false : picomatch(project.exclude);
  return files.filter((file) => included(file) && !excluded(file));
}

describe('vitest projects (unit, integration, e2e, browser, webgpu)', () => {
  const testFiles = fg.sync(allTestFiles, { cwd: repoRoot, ignore: ['**/node_modules/**'] }).sort();

  test('every test/**/*.test.ts is in exactly one project', () => {
    expect(testFiles.length).toBeGreaterThan(50);
    const owners = new Map<string, string[]>(testFiles.map((file) => [file, []]));
    for (const project of projects()) for (const file of filesOf(project, testFiles)) owners.get(file)?.push(project.name);
    const wrong = [...owners]
      .filter(([, names]) => names.length !== 1)
      .map(([file, names]) => `${file}: ${names.length === 0 ? 'no project' : names.join(', ')}`);
    expect(wrong).toEqual([]);
  });

  test('the projects are the expected ones, and each slow project has files', () => {
    const byName = new Map(projects().map((project) => [project.name, filesOf(project, testFiles)]));
    expect([...byName.keys()].sort()).toEqual(['browser', 'e2e', 'integration', 'unit', 'webgpu']);
    for (const [name, files] of byName) expect(files.length, name).toBeGreaterThan(0);
  });

  test('each slow project is chosen by a file-name suffix alone, so a file keeps its project wherever it moves', () => {
    const notSuffix = Object.values(slowProjectFiles)
      .flat()
      .filter((glob) => !/^test\/\*\*\/\*\.[a-z0-9]+\.test\.ts$/.test(glob));
    expect(notSuffix).toEqual([]);
  });
});
