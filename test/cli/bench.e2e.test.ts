import { describe, expect, test } from 'vitest';
import { BenchResultSchema, VerifyResultSchema } from '../../src/protocol/bench.js';
import { PconvEventSchema } from '../../src/protocol/events.js';
import { runCli } from '../helpers/run-cli.js';

const tiny = [
  '--backend',
  'wasm',
  '--size',
  '16',
  '--levels',
  '2',
  '--base-channels',
  '4',
  '--max-channels',
  '8',
  '--batch',
  '2',
  '--warmup',
  '1',
  '--repeats',
  '2',
];

describe('pconv-bench bench (end to end)', () => {
  test('--json --verify: a schema-valid result with the figures and a passed check against cpu', async () => {
    const run = await runCli(['bench', ...tiny, '--loss', 'full', '--verify', '--json']);
    expect(run.stderr).not.toContain('error:');
    expect(run.code).toBe(0);
    const events = run.stdout
      .trim()
      .split('\n')
      .map((line) => PconvEventSchema.parse(JSON.parse(line)));
    const result = events.find((e) => e.type === 'result');
    if (result?.type !== 'result') throw new Error('no result event');
    const { verify, ...figures } = result.data;
    const bench = BenchResultSchema.parse(figures);
    expect(bench.settings).toMatchObject({ size: 16, batch: 2, loss: 'full', levels: 2, baseChannels: 4, maxChannels: 8 });
    expect(bench.backend.name).toBe('wasm');
    expect(bench.train.msPerStep.samples).toHaveLength(2);
    const check = VerifyResultSchema.parse(verify);
    expect(check).toMatchObject({ backend: 'wasm', size: 4 * 2, batch: 1, loss: 'full', ok: true });
    // Inference ran on ONNX Runtime (auto on wasm), and that engine's output was checked too.
    expect(bench.inference.engine).toMatch(/^onnxruntime-node/);
    expect(check.checks.map((c) => c.name)).toContain(`inference output (${bench.inference.engine})`);
    expect(events.at(-1)).toMatchObject({ type: 'end', exitCode: 0 });
  });

  test('prints the figures for people', async () => {
    const run = await runCli(['bench', ...tiny]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/train step: [\d.]+ ms median \(min [\d.]+, max [\d.]+\); [\d.]+ steps\/s, [\d.]+ images\/s/);
    expect(run.stdout).toMatch(/inference \(onnxruntime-node [^)]+\)\): [\d.]+ ms per batch median/);
    expect(run.stdout).toMatch(/memory: peak RSS \d+ MiB/);
  });

  test.each([
    [['--size', '24', '--levels', '4'], /--size 24 does not fit a UNet of 4 levels/],
    [['--repeats', '0'], /--repeats must be an integer >= 1/],
    [['--vgg-weights', 'x.h5'], /--vgg-weights only matters with --loss full/],
  ])('refuses %o with exit 1 and a hint', async (extra, message) => {
    const run = await runCli(['bench', '--backend', 'wasm', ...extra]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).toContain('hint:');
  });

  test('refuses --verify on the cpu backend (it would compare cpu with itself)', async () => {
    const run = await runCli(['bench', '--backend', 'cpu', '--verify', '--size', '16', '--levels', '2']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/on cpu it would compare cpu with itself/);
    expect(run.stderr).toContain('hint:');
  });
});
