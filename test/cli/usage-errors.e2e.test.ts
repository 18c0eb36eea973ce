import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { cliEvents, repoRoot, runCli } from '../helpers/run-cli.js';

// The cases run concurrently, so their folders go at the end (useTempDirs clears after each test).
const made: string[] = [];
afterAll(async () => {
  await Promise.all(made.map((dir) => rm(dir, { recursive: true, force: true })));
});

/**
 * A copy of configs/smoke.yaml whose output folder is inside `dir`, so a command that runs when it
 * should not leaves files there.
 */
async function workDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pconv-bench-test-'));
  made.push(dir);
  const text = (await readFile(join(repoRoot, 'configs/smoke.yaml'), 'utf8'))
    .replace(/root: .*/, `root: ${JSON.stringify(join(repoRoot, 'data/photos'))}`)
    .replace(/dir: \.\.\/reports/, 'dir: ./reports');
  await writeFile(join(dir, 'smoke.yaml'), text);
  return dir;
}

/** Each case: the arguments (relative paths land in a fresh folder) and what the usage error says. */
const cases: readonly [string, readonly string[], RegExp][] = [
  // The cases of issue 16: each used to run the command after printing the problem (exit 0 or 2).
  ['masks import without --polarity', ['masks', 'import', 'in', '--out', 'out'], /Missing required argument: polarity/],
  ['masks import --polarity sideways', ['masks', 'import', 'in', '--polarity', 'sideways', '--out', 'out'], /Argument: polarity, Given: "sideways"/],
  ['config with an unknown option', ['config', 'smoke.yaml', '--frobnicate'], /Unknown argument: frobnicate/],
  ['run --from with --only', ['run', 'smoke.yaml', '--from', 'eval', '--only', 'report', '--run', 'run'], /Arguments from and only are mutually exclusive/],
  ['inpaint --image alone', ['inpaint', '--image', 'x.png'], /Missing required arguments: mask, out/],
  // Issue 18: a published model's weights instead of a checkpoint, exactly one of them.
  [
    'inpaint without --checkpoint or --weights',
    ['inpaint', '--image', 'i.png', '--mask', 'm.png', '--out', 'o.png'],
    /exactly one of --checkpoint and --weights/,
  ],
  [
    'inpaint --checkpoint with --weights',
    ['inpaint', '--checkpoint', 'c', '--weights', 'w.pth', '--format', 'pytorch-pconv', '--image', 'i.png', '--mask', 'm.png', '--out', 'o.png'],
    /exactly one of --checkpoint and --weights/,
  ],
  [
    'inpaint --weights without --format',
    ['inpaint', '--weights', 'w.pth', '--image', 'i.png', '--mask', 'm.png', '--out', 'o.png'],
    /--weights needs --format/,
  ],
  [
    'inpaint --format caffe',
    ['inpaint', '--weights', 'w.pth', '--format', 'caffe', '--image', 'i.png', '--mask', 'm.png', '--out', 'o.png'],
    /Argument: format, Given: "caffe"/,
  ],
  ['eval --model without a format', ['eval', 'smoke.yaml', '--model', 'naoto'], /--model "naoto": expected NAME=FORMAT:FILE/],
  ['eval --model of an unknown format', ['eval', 'smoke.yaml', '--model', 'naoto=caffe:w.pth'], /caffe is not a model format pconv-bench reads/],
  ['check without --baseline', ['check', 'results.json'], /Missing required argument: baseline/],
  [
    'inpaint --backend cuda',
    ['inpaint', '--checkpoint', 'c', '--image', 'i.png', '--mask', 'm.png', '--out', 'o.png', '--backend', 'cuda'],
    /Argument: backend, Given: "cuda"/,
  ],
  // An unknown option on every command.
  ...(
    [
      ['run', 'smoke.yaml'],
      ['masks', 'smoke.yaml', '--out', 'out'],
      ['masks', 'import', 'in', '--polarity', 'hole-white', '--out', 'out'],
      ['config', 'smoke.yaml'],
      ['schema', '--out', 'schema.json'],
      ['train', 'smoke.yaml'],
      ['inpaint', '--checkpoint', 'c', '--image', 'i.png', '--mask', 'm.png', '--out', 'o.png'],
      ['metrics', 'a.png', 'b.png'],
      ['eval', 'smoke.yaml'],
      ['report', 'run'],
      ['export', 'smoke.yaml', '--out', 'out'],
      ['check', 'results.json', '--baseline', 'baseline.json', '--update'],
      ['merge', 'a', 'b', '--out', 'out'],
      ['bench'],
    ] as const
  ).map((args): [string, readonly string[], RegExp] => [
    `${args.slice(0, 2).join(' ')} --frobnicate`,
    [...args, '--frobnicate'],
    /Unknown argument: frobnicate/,
  ]),
  // A value outside the choices.
  ['train --model gan', ['train', 'smoke.yaml', '--model', 'gan'], /Argument: model, Given: "gan"/],
  ['train --phase 3', ['train', 'smoke.yaml', '--phase', '3'], /Argument: phase, Given: 3/],
  ['eval --backend cuda', ['eval', 'smoke.yaml', '--backend', 'cuda'], /Argument: backend, Given: "cuda"/],
  ['eval --inference tensorrt', ['eval', 'smoke.yaml', '--inference', 'tensorrt'], /Argument: inference, Given: "tensorrt"/],
  ['run --inference tensorrt', ['run', 'smoke.yaml', '--inference', 'tensorrt', '--run', 'run'], /Argument: inference, Given: "tensorrt"/],
  ['bench --backend cuda', ['bench', '--backend', 'cuda'], /Argument: backend, Given: "cuda"/],
  ['export --format zip', ['export', 'smoke.yaml', '--format', 'zip', '--out', 'out'], /Argument: format, Given: "zip"/],
  ['metrics --polarity grey', ['metrics', 'a.png', 'b.png', '--polarity', 'grey'], /Argument: polarity, Given: "grey"/],
  ['run --only everything', ['run', 'smoke.yaml', '--only', 'everything', '--run', 'run'], /Argument: only, Given: "everything"/],
  // A missing positional.
  ['masks without a config', ['masks'], /Not enough non-option arguments/],
  ['masks import without a folder', ['masks', 'import', '--polarity', 'hole-white', '--out', 'out'], /Not enough non-option arguments/],
  ['config without a file', ['config'], /Not enough non-option arguments/],
  ['run without a config', ['run'], /Not enough non-option arguments/],
  ['train without a config', ['train'], /Not enough non-option arguments/],
  ['eval without a config', ['eval'], /Not enough non-option arguments/],
  ['report without a run', ['report'], /Not enough non-option arguments/],
  ['export without a config', ['export', '--out', 'out'], /Not enough non-option arguments/],
  ['metrics with one image', ['metrics', 'a.png'], /Not enough non-option arguments/],
  ['merge without runs', ['merge', '--out', 'out'], /Not enough non-option arguments/],
  ['check without results', ['check', '--baseline', 'baseline.json'], /Not enough non-option arguments/],
  // Values yargs lets through as NaN or '' (they used to fall back to the default silently).
  ['masks --workers abc', ['masks', 'smoke.yaml', '--out', 'out', '--workers', 'abc'], /--workers needs a number, got "abc"/],
  ['masks --workers=x1', ['masks', 'smoke.yaml', '--out', 'out', '--workers=x1'], /--workers needs a number, got "x1"/],
  ['bench --size big', ['bench', '--size', 'big'], /--size needs a number, got "big"/],
  ['masks --out without a value', ['masks', 'smoke.yaml', '--out'], /--out needs a value/],
  ['schema --out without a value', ['schema', '--out'], /--out needs a value/],
  ['masks an empty config path', ['masks', ''], /<config> is empty/],
  ['check --tolerance without a value', ['check', 'results.json', '--baseline', 'baseline.json', '--tolerance'], /--tolerance needs at least one value/],
];

describe('usage errors (issue 16): exit 1 with one USAGE error, and nothing runs', () => {
  test.concurrent.each(cases)('%s', async (_name, args, message) => {
    const dir = await workDir();
    const run = await runCli([...args, '--json'], { cwd: dir });
    const events = cliEvents(run.stdout);
    // No start event: the command never began; the one event is the usage error.
    expect(events.map((e) => e.type)).toEqual(['error']);
    expect(events[0]).toMatchObject({ type: 'error', code: 'USAGE', hint: expect.stringContaining('--help') });
    expect(events[0]?.type === 'error' ? events[0].message : '').toMatch(message);
    expect(run.code).toBe(1);
    expect(await readdir(dir)).toEqual(['smoke.yaml']);
  });

  test('the human form names the problem and the hint, and writes nothing', async () => {
    const dir = await workDir();
    const run = await runCli(['masks', 'import', 'in', '--out', 'out'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('error: Missing required argument: polarity');
    expect(run.stderr).toContain('hint: Run `pconv-bench --help`');
    expect(run.stdout).toBe('');
    expect(await readdir(dir)).toEqual(['smoke.yaml']);
  });

  test('--help and --version still exit 0', async () => {
    expect((await runCli(['--help'])).code).toBe(0);
    expect((await runCli(['masks', 'import', '--help'])).code).toBe(0);
    const version = await runCli(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
