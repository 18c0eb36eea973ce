import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ResultsSchema } from '../../src/protocol/results.js';
import { killWhen, repoRoot, runCli } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs();
const _bin = resolve(repoRoot, 'bin/pconv-bench.js');

async function rows(runDir: string) {
  return ResultsSchema.parse(JSON.parse(await readFile(join(runDir, 'results.json'), 'utf8'))).rows;
}

describe('pconv-bench run (end to end)', () => {
  test('runs every stage, skips them when up to date, and redoes a stage whose output changed', async () => {
    const run = await tempDir();
    const first = await runCli(['run', 'configs/smoke.yaml', '--run', run, '--backend', 'wasm']);
    expect(first.code).toBe(0);
    expect(first.stderr).toContain('stages: masks ran, train-pconv ran, train-conv ran, eval ran, report ran');
    expect(first.stderr).toMatch(/PConv +\(0\.01, 0\.1\] +no-border/);
    expect(first.stderr).toContain(`report: ${join(run, 'index.html')}`);
    const again = await runCli(['run', 'configs/smoke.yaml', '--run', run, '--backend', 'wasm']);
    expect(again.stderr).toContain('stages: masks up to date, train-pconv up to date, train-conv up to date, eval up to date, report up to date');
    // Checked by content: an edited results.json is not trusted.
    const text = await readFile(join(run, 'results.json'), 'utf8');
    await writeFile(join(run, 'results.json'), text.replace('"PConv"', '"PConv "'));
    const redone = await runCli(['run', 'configs/smoke.yaml', '--run', run, '--backend', 'wasm']);
    // eval is redone and writes the same bytes again, so the report (whose input they are) stays up to date.
    expect(redone.stderr).toContain('eval ran, report up to date');
    expect(await readFile(join(run, 'results.json'), 'utf8')).toBe(text);
    const only = await runCli(['run', 'configs/smoke.yaml', '--run', run, '--backend', 'wasm', '--only', 'report']);
    expect(only.stderr).toContain('stages: masks not asked, train-pconv not asked, train-conv not asked, eval not asked, report ran');
    expect(await rows(run)).toEqual(await rows(run));
  });

  test('kill -9 at several moments never corrupts the run; the next run ends with the results (and report) of an uninterrupted one, byte for byte', async () => {
    const reference = await tempDir();
    expect((await runCli(['run', 'configs/smoke.yaml', '--run', reference, '--backend', 'wasm'])).code).toBe(0);
    const expected = await rows(reference);
    for (const trigger of ['masks:', 'train-pconv-phase1 [', 'train-conv-phase2 [', 'eval PConv']) {
      const run = await tempDir();
      expect(await killWhen(['run', 'configs/smoke.yaml', '--run', run, '--backend', 'wasm'], trigger)).toBe(true);
      const resumed = await runCli(['run', 'configs/smoke.yaml', '--run', run, '--backend', 'wasm']);
      expect(resumed.code, `${trigger}: ${resumed.stderr}`).toBe(0);
      expect(await rows(run)).toEqual(expected);
      // No timestamps or absolute paths: the same bytes as the uninterrupted run in another folder.
      expect((await readFile(join(run, 'results.json'))).equals(await readFile(join(reference, 'results.json')))).toBe(true);
      expect((await readFile(join(run, 'index.html'))).equals(await readFile(join(reference, 'index.html')))).toBe(true);
    }
  });

  test('a second run on the same folder refuses; a lock left by a dead process is taken over', async () => {
    const run = await tempDir();
    await writeFile(join(run, '.pconv-bench.lock'), JSON.stringify({ pid: process.pid, host: (await import('node:os')).hostname(), startedAt: 'now' }));
    const refused = await runCli(['run', 'configs/smoke.yaml', '--run', run, '--backend', 'wasm']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`is in use by another pconv-bench run (pid ${process.pid}`);
    await writeFile(join(run, '.pconv-bench.lock'), JSON.stringify({ pid: 2 ** 22 + 12345, host: (await import('node:os')).hostname(), startedAt: 'then' }));
    const taken = await runCli(['run', 'configs/smoke.yaml', '--run', run, '--backend', 'wasm', '--only', 'masks']);
    expect(taken.code).toBe(0);
    expect(taken.stderr).toContain('taking over the lock of pid');
  });

  test('check passes against its own baseline and fails, listing each regression, when the baseline is better', async () => {
    const run = await tempDir();
    expect((await runCli(['run', 'configs/smoke.yaml', '--run', run, '--backend', 'wasm'])).code).toBe(0);
    const baseline = join(run, 'baseline.json');
    expect((await runCli(['check', join(run, 'results.json'), '--baseline', baseline])).code).toBe(1);
    expect((await runCli(['check', join(run, 'results.json'), '--baseline', baseline, '--update'])).code).toBe(0);
    const pass = await runCli(['check', join(run, 'results.json'), '--baseline', baseline]);
    expect(pass.code).toBe(0);
    expect(pass.stdout).toContain('quality check passed: 18 rows x 4 metrics');
    const better = JSON.parse(await readFile(baseline, 'utf8'));
    better.rows[0].metrics.psnr += 1; // PConv, first bin: the baseline claims 1 dB more
    better.rows[1].metrics.l1Hole -= 1; // and 1 point less hole L1
    await writeFile(baseline, JSON.stringify(better));
    const fail = await runCli(['check', join(run, 'results.json'), '--baseline', baseline]);
    expect(fail.code).toBe(1);
    expect(fail.stderr).toContain('2 quality regressions');
    expect(fail.stderr).toMatch(/PConv \(0\.01, 0\.1\] no-border psnr: .* vs baseline .* \(allowed 0\.3\)/);
    expect(fail.stderr).toMatch(/PConv \(0\.01, 0\.1\] border l1Hole: .* \(allowed 0\.5\)/);
    const tolerant = await runCli(['check', join(run, 'results.json'), '--baseline', baseline, '--tolerance', 'psnr=1.5', '--tolerance', 'l1Hole=1.5']);
    expect(tolerant.code).toBe(0);
    const bad = await runCli(['check', join(run, 'results.json'), '--baseline', baseline, '--tolerance', 'psnr']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--tolerance psnr is not metric=value');
  });

  test("the paper's 512 px batch 6 on wasm is refused before the mask stage, naming the key and the batch that fits", async () => {
    const dir = await tempDir();
    const paper = (await readFile(join(repoRoot, 'configs/imagenet.yaml'), 'utf8'))
      .replace(/root: .*/, `root: ${join(repoRoot, 'data/photos')}`)
      .replace(/testFraction: .*/, 'testFraction: 0.2')
      .replace(/validationFraction: .*/, 'validationFraction: 0.1')
      .replace(/perceptual: .*/, 'perceptual: 0')
      .replace(/style: .*/, 'style: 0')
      .replace(/ {2}vgg:\n.*\n.*\n/, '');
    await writeFile(join(dir, 'paper.yaml'), paper);
    const run = join(dir, 'run');
    const result = await runCli(['run', join(dir, 'paper.yaml'), '--run', run, '--backend', 'wasm']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/training pconv at data\.imageSize 512 with train\.batchSize 6 needs at least [\d.]+ GiB of tensors/);
    expect(result.stderr).toMatch(/lower train\.batchSize to 2 or less/);
    await expect(readFile(join(run, 'masks', 'manifest.json'), 'utf8')).rejects.toThrow(/ENOENT/);
  });

  test("training masks imported from the run's own test mask folder are refused before the mask stage, naming both folders", async () => {
    const dir = await tempDir();
    const run = join(dir, 'run');
    const smoke = (await readFile(join(repoRoot, 'configs/smoke.yaml'), 'utf8'))
      .replace(/root: .*/, `root: ${join(repoRoot, 'data/photos')}`)
      .replace(/ {2}validateEvery: .*\n/, (line) => `${line}  masks: { source: import, dir: ${join(run, 'masks')} }\n`);
    await writeFile(join(dir, 'smoke.yaml'), smoke);
    const result = await runCli(['run', join(dir, 'smoke.yaml'), '--run', run, '--backend', 'wasm']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`train.masks.dir ${join(run, 'masks')} is the run's test mask folder ${join(run, 'masks')}`);
    await expect(readFile(join(run, 'masks', 'manifest.json'), 'utf8')).rejects.toThrow(/ENOENT/);
  });

  test('a run folder that cannot be written is a clear error and leaves nothing behind', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'file'), 'not a folder');
    const blocked = await runCli(['run', 'configs/smoke.yaml', '--run', join(dir, 'file', 'run'), '--backend', 'wasm']);
    expect(blocked.code).toBe(1);
    expect(blocked.stderr).toMatch(/cannot mkdir .*file.*a part of the path is a file, not a folder \(ENOTDIR\)/);
    expect(await readFile(join(dir, 'file'), 'utf8')).toBe('not a folder');
  });

  test('masks --shard i/n and merge give the very bytes of an unsharded set; missing, repeated or foreign shards are refused', async () => {
    const dir = await tempDir();
    expect((await runCli(['masks', 'configs/smoke.yaml', '--out', join(dir, 'full')])).code).toBe(0);
    for (const i of [0, 1, 2]) expect((await runCli(['masks', 'configs/smoke.yaml', '--out', join(dir, `s${i}`), '--shard', `${i}/3`])).code).toBe(0);
    const shardManifest = JSON.parse(await readFile(join(dir, 's1', 'masks', 'manifest.json'), 'utf8'));
    expect(shardManifest.shard).toEqual({ index: 1, count: 3 });
    expect(shardManifest.masks).toHaveLength(8);
    const merged = await runCli(['merge', join(dir, 's0'), join(dir, 's1'), join(dir, 's2'), '--out', join(dir, 'merged')]);
    expect(merged.code).toBe(0);
    const full = JSON.parse(await readFile(join(dir, 'full', 'masks', 'manifest.json'), 'utf8')) as { masks: { file: string }[] };
    expect((await readFile(join(dir, 'merged', 'masks', 'manifest.json'))).equals(await readFile(join(dir, 'full', 'masks', 'manifest.json')))).toBe(true);
    for (const entry of full.masks) {
      expect((await readFile(join(dir, 'merged', 'masks', entry.file))).equals(await readFile(join(dir, 'full', 'masks', entry.file)))).toBe(true);
    }
    const incomplete = await runCli(['merge', join(dir, 's0'), join(dir, 's2'), '--out', join(dir, 'm2')]);
    expect(incomplete.code).toBe(1);
    expect(incomplete.stderr).toContain('shards 1/3 are missing');
    const twice = await runCli(['merge', join(dir, 's0'), join(dir, 's0'), join(dir, 's1'), '--out', join(dir, 'm3')]);
    expect(twice.stderr).toContain('shard 0/3 is given twice');
    const whole = await runCli(['merge', join(dir, 'full'), join(dir, 's1'), '--out', join(dir, 'm4')]);
    expect(whole.stderr).toContain('holds a whole mask set, not a shard');
    const bad = await runCli(['masks', 'configs/smoke.yaml', '--out', join(dir, 'x'), '--shard', '3/3']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--shard 3/3 is not i/n with 0 <= i < n');
  });

  test('eval --shard i/n in copies of a run, merged, gives the results.json and report of the unsharded run, byte for byte', async () => {
    const dir = await tempDir();
    const whole = join(dir, 'whole');
    expect((await runCli(['run', 'configs/smoke.yaml', '--run', whole, '--backend', 'wasm'])).code).toBe(0);
    const shards = [];
    for (const i of [0, 1, 2]) {
      // A CI matrix job: the run folder (masks and checkpoints) without the evaluation outputs.
      const shard = join(dir, `shard${i}`);
      await cp(whole, shard, { recursive: true });
      await rm(join(shard, 'results.json'));
      await rm(join(shard, 'index.html'));
      await rm(join(shard, 'eval-samples'), { recursive: true });
      const scored = await runCli(['eval', 'configs/smoke.yaml', '--run', shard, '--backend', 'wasm', '--shard', `${i}/3`]);
      expect(scored.code, scored.stderr).toBe(0);
      shards.push(shard);
    }
    const merged = join(dir, 'merged');
    const missing = await runCli(['merge', shards[0] as string, shards[2] as string, '--out', merged]);
    expect(missing.stderr).toContain('evaluation shards 1/3 are missing');
    const joined = await runCli(['merge', ...shards, '--out', merged]);
    expect(joined.code, joined.stderr).toBe(0);
    expect((await readFile(join(merged, 'results.json'))).equals(await readFile(join(whole, 'results.json')))).toBe(true);
    expect((await readFile(join(merged, 'index.html'))).equals(await readFile(join(whole, 'index.html')))).toBe(true);
  });
});
