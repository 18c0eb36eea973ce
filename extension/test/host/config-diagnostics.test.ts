import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { startCli } from '../../src/host/cli-process.js';
import { problemsToDiagnostics } from '../../src/host/config-diagnostics.js';
import { assertCliBuilt, realCli, repoRoot, useTempDirs } from './helpers/real-cli.js';

const tempDir = useTempDirs();

describe('problemsToDiagnostics', () => {
  test('underlines from the column to the end of the value, without a trailing comment', () => {
    const text = 'name: x\nseed: "a"   # the seed\nmasks:\n  perBin: -1\n';
    const result = problemsToDiagnostics(
      [
        { file: 'c.yaml', path: 'seed', message: 'expected number', line: 2, column: 7 },
        { file: 'c.yaml', path: 'masks.perBin', message: 'too small', line: 4, column: 11 },
      ],
      '/ws/configs',
      (file) => (file === '/ws/configs/c.yaml' ? text : undefined),
    );
    expect([...result.keys()]).toEqual(['/ws/configs/c.yaml']);
    expect(result.get('/ws/configs/c.yaml')).toEqual([
      { startLine: 1, startColumn: 6, endLine: 1, endColumn: 9, message: 'seed: expected number', path: 'seed' },
      { startLine: 3, startColumn: 10, endLine: 3, endColumn: 12, message: 'masks.perBin: too small', path: 'masks.perBin' },
    ]);
  });

  test('a problem without a position goes on the first line; a column past the end takes the whole line', () => {
    const text = '  data:\n';
    const [first, second] =
      problemsToDiagnostics(
        [
          { file: '/a.yaml', path: '', message: 'the file must hold a mapping' },
          { file: '/a.yaml', path: 'data', message: 'required', line: 1, column: 40 },
        ],
        '/',
        () => text,
      ).get('/a.yaml') ?? [];
    expect(first).toMatchObject({ startLine: 0, startColumn: 0, endColumn: 7, message: 'the file must hold a mapping' });
    expect(second).toMatchObject({ startLine: 0, startColumn: 2, endColumn: 7 });
  });

  test('a file it cannot read still gets a one-character diagnostic at the position', () => {
    const result = problemsToDiagnostics([{ file: '/gone.yaml', path: 'seed', message: 'm', line: 3, column: 5 }], '/', () => undefined);
    expect(result.get('/gone.yaml')).toEqual([{ startLine: 2, startColumn: 4, endLine: 2, endColumn: 5, message: 'seed: m', path: 'seed' }]);
  });

  test("the real CLI's config errors land on the lines and values they are about", async () => {
    assertCliBuilt();
    const dir = await tempDir();
    const file = join(dir, 'bad.yaml');
    const text = [
      'name: bad',
      'seed: "one"',
      'data:',
      '  root: ../data/photos',
      'masks:',
      '  perBin: -1  # too few',
      'loss: { perceptual: 0, style: 0 }',
      '',
    ].join('\n');
    await writeFile(file, text);
    const outcome = await startCli({ cliPath: realCli, args: ['config', file], cwd: repoRoot }).done;
    expect(outcome.exitCode).toBe(1);
    const problems = outcome.errors[0]?.problems ?? [];
    const diagnostics = problemsToDiagnostics(problems, repoRoot, () => text).get(file) ?? [];
    const lines = text.split('\n');
    const underlined = Object.fromEntries(diagnostics.map((d) => [d.path, lines[d.startLine]?.slice(d.startColumn, d.endColumn)]));
    // A missing key is reported on the mapping that lacks it.
    expect(underlined).toEqual({ seed: '"one"', 'masks.perBin': '-1', 'data.imageSize': 'data:' });
  });
});
