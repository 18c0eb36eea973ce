import { describe, expect, test } from 'vitest';
import { parseShard } from '../../src/cli/shard-option.js';
import { UserError } from '../../src/core/errors.js';

/** The UserError parseShard throws, for its message and hint. */
function refusal(text: string, env: NodeJS.ProcessEnv): UserError {
  try {
    parseShard(text, env);
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).code).toBe('BAD_ARGUMENT');
    expect((error as UserError).hint).toBeTruthy();
    return error as UserError;
  }
  throw new Error(`parseShard(${text}) accepted ${JSON.stringify(env)}`);
}

describe('parseShard i/n', () => {
  test('reads i/n and ignores the environment', () => {
    expect(parseShard('1/3', { PCONV_SHARD: '2/3' })).toEqual({ index: 1, count: 3 });
    expect(parseShard(' 0/1 ', {})).toEqual({ index: 0, count: 1 });
  });

  test.each(['3/3', '0/0', '-1/3', '1', 'a/b', '1/3/4', ''])('refuses %j', (text) => {
    const error = refusal(text, {});
    expect(error.message).toBe(`--shard ${text} is not i/n with 0 <= i < n`);
    expect(error.hint).toContain('--shard auto');
  });
});

describe('parseShard auto', () => {
  test('PCONV_SHARD=i/n', () => {
    expect(parseShard('auto', { PCONV_SHARD: '2/5' })).toEqual({ index: 2, count: 5 });
    expect(parseShard(' AUTO ', { PCONV_SHARD: ' 0/1 ' })).toEqual({ index: 0, count: 1 });
  });

  test('a Kubernetes Indexed Job: JOB_COMPLETION_INDEX of PCONV_SHARD_COUNT', () => {
    expect(parseShard('auto', { JOB_COMPLETION_INDEX: '0', PCONV_SHARD_COUNT: '3' })).toEqual({ index: 0, count: 3 });
    expect(parseShard('auto', { JOB_COMPLETION_INDEX: '2', PCONV_SHARD_COUNT: '3' })).toEqual({ index: 2, count: 3 });
  });

  test('a Slurm array starting at 0, at 1 (--array=1-4 gives shards 0..3) and with a step', () => {
    expect(parseShard('auto', { SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_TASK_COUNT: '4' })).toEqual({ index: 0, count: 4 });
    expect(parseShard('auto', { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_COUNT: '4', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_MAX: '3' })).toEqual({
      index: 3,
      count: 4,
    });
    const oneToFour = { SLURM_ARRAY_TASK_COUNT: '4', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '4', SLURM_ARRAY_TASK_STEP: '1' };
    expect([1, 2, 3, 4].map((id) => parseShard('auto', { ...oneToFour, SLURM_ARRAY_TASK_ID: String(id) }))).toEqual(
      [0, 1, 2, 3].map((index) => ({ index, count: 4 })),
    );
    // --array=1-7:2 runs tasks 1, 3, 5 and 7.
    const stepped = { SLURM_ARRAY_TASK_COUNT: '4', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '7', SLURM_ARRAY_TASK_STEP: '2' };
    expect([1, 3, 5, 7].map((id) => parseShard('auto', { ...stepped, SLURM_ARRAY_TASK_ID: String(id) }))).toEqual(
      [0, 1, 2, 3].map((index) => ({ index, count: 4 })),
    );
  });

  test('precedence: PCONV_SHARD, then the Kubernetes index, then the Slurm array; empty values count as unset', () => {
    const slurm = { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '2' };
    const kubernetes = { JOB_COMPLETION_INDEX: '2', PCONV_SHARD_COUNT: '3' };
    expect(parseShard('auto', { PCONV_SHARD: '3/4', ...kubernetes, ...slurm })).toEqual({ index: 3, count: 4 });
    expect(parseShard('auto', { ...kubernetes, ...slurm })).toEqual({ index: 2, count: 3 });
    expect(parseShard('auto', slurm)).toEqual({ index: 1, count: 2 });
    expect(parseShard('auto', { PCONV_SHARD: '', JOB_COMPLETION_INDEX: ' ', ...slurm })).toEqual({ index: 1, count: 2 });
  });

  test('uses the env it is given, process.env by default', () => {
    const saved = process.env.PCONV_SHARD;
    process.env.PCONV_SHARD = '1/2';
    try {
      expect(parseShard('auto')).toEqual({ index: 1, count: 2 });
      expect(() => parseShard('auto', {})).toThrow(/found no shard/);
    } finally {
      if (saved === undefined) delete process.env.PCONV_SHARD;
      else process.env.PCONV_SHARD = saved;
    }
  });
});

describe('parseShard auto refuses, naming the variable and its value', () => {
  test('no scheduler variable at all', () => {
    const error = refusal('auto', { HOME: '/root', SLURM_JOB_ID: '7' });
    expect(error.message).toBe('--shard auto found no shard: PCONV_SHARD, JOB_COMPLETION_INDEX and SLURM_ARRAY_TASK_ID are all unset');
    expect(error.hint).toContain('PCONV_SHARD=i/n');
    expect(error.hint).toContain('examples/');
  });

  test.each(['3/3', '1', 'x/2', '1/0'])('PCONV_SHARD=%s', (value) => {
    expect(refusal('auto', { PCONV_SHARD: value, JOB_COMPLETION_INDEX: '0', PCONV_SHARD_COUNT: '2' }).message).toBe(
      `PCONV_SHARD=${value} is not i/n with 0 <= i < n`,
    );
  });

  test('a Kubernetes index without PCONV_SHARD_COUNT', () => {
    const error = refusal('auto', { JOB_COMPLETION_INDEX: '1' });
    expect(error.message).toBe('--shard auto found JOB_COMPLETION_INDEX=1 but PCONV_SHARD_COUNT is not set');
    expect(error.hint).toContain('spec.completions');
  });

  test('Kubernetes values that are not whole numbers, a count of 0, an index not below the count', () => {
    expect(refusal('auto', { JOB_COMPLETION_INDEX: 'one', PCONV_SHARD_COUNT: '3' }).message).toBe(
      '--shard auto: JOB_COMPLETION_INDEX=one is not a whole number',
    );
    expect(refusal('auto', { JOB_COMPLETION_INDEX: '-1', PCONV_SHARD_COUNT: '3' }).message).toBe('--shard auto: JOB_COMPLETION_INDEX=-1 is not a whole number');
    expect(refusal('auto', { JOB_COMPLETION_INDEX: '0', PCONV_SHARD_COUNT: '2.5' }).message).toBe('--shard auto: PCONV_SHARD_COUNT=2.5 is not a whole number');
    expect(refusal('auto', { JOB_COMPLETION_INDEX: '0', PCONV_SHARD_COUNT: '0' }).message).toBe(
      '--shard auto: PCONV_SHARD_COUNT=0 is not a count of at least 1',
    );
    const beyond = refusal('auto', { JOB_COMPLETION_INDEX: '3', PCONV_SHARD_COUNT: '3' });
    expect(beyond.message).toBe('--shard auto: JOB_COMPLETION_INDEX=3 gives shard 3, not below PCONV_SHARD_COUNT=3');
    expect(beyond.hint).toContain('spec.completions');
  });

  test('a Slurm task without SLURM_ARRAY_TASK_COUNT', () => {
    const error = refusal('auto', { SLURM_ARRAY_TASK_ID: '2' });
    expect(error.message).toBe('--shard auto found SLURM_ARRAY_TASK_ID=2 but SLURM_ARRAY_TASK_COUNT is not set');
    expect(error.hint).toContain('PCONV_SHARD=i/n');
  });

  test('Slurm values that are not whole numbers, or counts below 1', () => {
    expect(refusal('auto', { SLURM_ARRAY_TASK_ID: '1e2', SLURM_ARRAY_TASK_COUNT: '4' }).message).toBe(
      '--shard auto: SLURM_ARRAY_TASK_ID=1e2 is not a whole number',
    );
    expect(refusal('auto', { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: 'four' }).message).toBe(
      '--shard auto: SLURM_ARRAY_TASK_COUNT=four is not a whole number',
    );
    expect(refusal('auto', { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '0' }).message).toBe(
      '--shard auto: SLURM_ARRAY_TASK_COUNT=0 is not a count of at least 1',
    );
    expect(refusal('auto', { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '4', SLURM_ARRAY_TASK_MIN: 'low' }).message).toBe(
      '--shard auto: SLURM_ARRAY_TASK_MIN=low is not a whole number',
    );
    expect(refusal('auto', { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '4', SLURM_ARRAY_TASK_STEP: '0' }).message).toBe(
      '--shard auto: SLURM_ARRAY_TASK_STEP=0 is not a count of at least 1',
    );
  });

  test('a Slurm id not below the count: --array=1-4 read without SLURM_ARRAY_TASK_MIN', () => {
    const error = refusal('auto', { SLURM_ARRAY_TASK_ID: '4', SLURM_ARRAY_TASK_COUNT: '4' });
    expect(error.message).toBe('--shard auto: SLURM_ARRAY_TASK_ID=4 gives shard 4, not below SLURM_ARRAY_TASK_COUNT=4');
    expect(error.hint).toContain('--array=0-3');
    expect(refusal('auto', { SLURM_ARRAY_TASK_ID: '6', SLURM_ARRAY_TASK_COUNT: '4', SLURM_ARRAY_TASK_MIN: '2' }).message).toBe(
      '--shard auto: SLURM_ARRAY_TASK_ID=6 (counted from SLURM_ARRAY_TASK_MIN=2) gives shard 4, not below SLURM_ARRAY_TASK_COUNT=4',
    );
  });

  test('a Slurm id below SLURM_ARRAY_TASK_MIN or off its step', () => {
    expect(refusal('auto', { SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_TASK_COUNT: '4', SLURM_ARRAY_TASK_MIN: '1' }).message).toBe(
      '--shard auto: SLURM_ARRAY_TASK_ID=0 (counted from SLURM_ARRAY_TASK_MIN=1) is not a task of an evenly spaced array',
    );
    expect(refusal('auto', { SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_COUNT: '4', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_STEP: '2' }).message).toBe(
      '--shard auto: SLURM_ARRAY_TASK_ID=2 (counted from SLURM_ARRAY_TASK_MIN=1 in steps of SLURM_ARRAY_TASK_STEP=2) is not a task of an evenly spaced array',
    );
  });

  test('a Slurm array with gaps (--array=1,3,7), which no shard numbering fits', () => {
    const error = refusal('auto', { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_COUNT: '3', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '7' });
    expect(error.message).toBe(
      '--shard auto: the Slurm array 1-7 (SLURM_ARRAY_TASK_MIN=1, SLURM_ARRAY_TASK_MAX=7) does not hold SLURM_ARRAY_TASK_COUNT=3 evenly spaced tasks',
    );
    expect(error.hint).toContain('--array=0-2 (or 1-3)');
  });
});
