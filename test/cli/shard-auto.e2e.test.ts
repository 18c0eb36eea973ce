import { cp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs();

/**
 * The environment a scheduler would give one task: only `vars`, with every other variable that
 * `--shard auto` reads blanked (empty counts as unset), so a test run inside a Slurm job or a
 * Kubernetes pod is not steered by the real scheduler's values.
 */
function scheduler(vars: Record<string, string>): NodeJS.ProcessEnv {
  const read = [
    'PCONV_SHARD',
    'PCONV_SHARD_COUNT',
    'JOB_COMPLETION_INDEX',
    'SLURM_ARRAY_TASK_ID',
    'SLURM_ARRAY_TASK_COUNT',
    'SLURM_ARRAY_TASK_MIN',
    'SLURM_ARRAY_TASK_MAX',
    'SLURM_ARRAY_TASK_STEP',
  ];
  return { ...Object.fromEntries(read.map((name) => [name, ''])), ...vars };
}

async function sameBytes(a: string, b: string): Promise<boolean> {
  return (await readFile(a)).equals(await readFile(b));
}

describe('--shard auto under scheduler variables (end to end)', () => {
  test('masks --shard auto without a scheduler is a clear error', async () => {
    const dir = await tempDir();
    const refused = await runCli(['masks', 'configs/smoke.yaml', '--out', join(dir, 'x'), '--shard', 'auto'], { env: scheduler({}) });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('--shard auto found no shard: PCONV_SHARD, JOB_COMPLETION_INDEX and SLURM_ARRAY_TASK_ID are all unset');
    expect(refused.stderr).toContain('hint:');
    const noCount = await runCli(['masks', 'configs/smoke.yaml', '--out', join(dir, 'y'), '--shard', 'auto'], {
      env: scheduler({ JOB_COMPLETION_INDEX: '1' }),
    });
    expect(noCount.code).toBe(1);
    expect(noCount.stderr).toContain('JOB_COMPLETION_INDEX=1 but PCONV_SHARD_COUNT is not set');
  });

  test('mask shards of a Slurm array (--array=1-3), merged, trained once, evaluated by Indexed Job pods and PCONV_SHARD, merged: the bytes of an unsharded run', async () => {
    const dir = await tempDir();

    // Mask shards as the tasks of `sbatch --array=1-3`, all at once as Slurm would start them.
    const slurmTasks = [1, 2, 3].map((id) => ({
      dir: join(dir, `masks-task${id}`),
      env: scheduler({
        SLURM_ARRAY_TASK_ID: String(id),
        SLURM_ARRAY_TASK_COUNT: '3',
        SLURM_ARRAY_TASK_MIN: '1',
        SLURM_ARRAY_TASK_MAX: '3',
        SLURM_ARRAY_TASK_STEP: '1',
      }),
    }));
    const drawn = await Promise.all(slurmTasks.map((task) => runCli(['masks', 'configs/smoke.yaml', '--out', task.dir, '--shard', 'auto'], { env: task.env })));
    for (const result of drawn) expect(result.code, result.stderr).toBe(0);
    for (const [i, task] of slurmTasks.entries()) {
      expect(JSON.parse(await readFile(join(task.dir, 'masks', 'manifest.json'), 'utf8')).shard).toEqual({ index: i, count: 3 });
    }
    const run = join(dir, 'run');
    const mergedMasks = await runCli(['merge', ...slurmTasks.map((task) => task.dir), '--out', run]);
    expect(mergedMasks.code, mergedMasks.stderr).toBe(0);

    const full = join(dir, 'full');
    expect((await runCli(['masks', 'configs/smoke.yaml', '--out', full], { env: scheduler({}) })).code).toBe(0);
    const manifest = join('masks', 'manifest.json');
    expect(await sameBytes(join(run, manifest), join(full, manifest))).toBe(true);
    const entries = (JSON.parse(await readFile(join(full, manifest), 'utf8')) as { masks: { file: string }[] }).masks;
    expect(entries).toHaveLength(24);
    for (const entry of entries) expect(await sameBytes(join(run, 'masks', entry.file), join(full, 'masks', entry.file))).toBe(true);

    // The one training, then the unsharded evaluation the shards must reproduce.
    const whole = await runCli(['run', 'configs/smoke.yaml', '--run', run, '--backend', 'wasm'], { env: scheduler({}) });
    expect(whole.code, whole.stderr).toBe(0);
    expect(await sameBytes(join(run, manifest), join(full, manifest))).toBe(true);

    // Evaluation shards: two pods of an Indexed Job with completions 3, and one job told PCONV_SHARD=2/3,
    // which wins over the Slurm variables beside it (they would say shard 0 and the merge would refuse).
    const evalEnvs = [
      scheduler({ JOB_COMPLETION_INDEX: '0', PCONV_SHARD_COUNT: '3' }),
      scheduler({ JOB_COMPLETION_INDEX: '1', PCONV_SHARD_COUNT: '3' }),
      scheduler({ PCONV_SHARD: '2/3', SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_TASK_COUNT: '3' }),
    ];
    const shards: string[] = [];
    for (const [i, env] of evalEnvs.entries()) {
      // Each job's own copy of the run folder: masks and checkpoints, without the evaluation outputs.
      const shard = join(dir, `eval-shard${i}`);
      await cp(run, shard, { recursive: true });
      await rm(join(shard, 'results.json'));
      await rm(join(shard, 'index.html'));
      await rm(join(shard, 'eval-samples'), { recursive: true });
      const scored = await runCli(['eval', 'configs/smoke.yaml', '--run', shard, '--backend', 'wasm', '--shard', 'auto'], { env });
      expect(scored.code, scored.stderr).toBe(0);
      shards.push(shard);
    }
    const merged = join(dir, 'merged');
    const joined = await runCli(['merge', ...shards, '--out', merged]);
    expect(joined.code, joined.stderr).toBe(0);
    expect(await sameBytes(join(merged, 'results.json'), join(run, 'results.json'))).toBe(true);
    expect(await sameBytes(join(merged, 'index.html'), join(run, 'index.html'))).toBe(true);
  });
});
