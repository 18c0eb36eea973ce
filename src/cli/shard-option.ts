import { UserError } from '../core/errors.js';

export interface Shard {
  index: number;
  count: number;
}

const EXAMPLES_HINT = "The repository's examples/ has a Kubernetes Indexed Job and a Slurm array script that set them.";

/**
 * `--shard i/n` -> { index: i, count: n }, with 0 <= i < n. `--shard auto` reads them from the
 * environment of the scheduler that started the process, in this order:
 * - PCONV_SHARD=i/n, so a person (or any other scheduler) can always say it outright;
 * - a Kubernetes Indexed Job: JOB_COMPLETION_INDEX, with the count from PCONV_SHARD_COUNT, since
 *   Kubernetes does not pass the Job's completions to its pods;
 * - a Slurm job array: SLURM_ARRAY_TASK_ID of SLURM_ARRAY_TASK_COUNT tasks, counted from
 *   SLURM_ARRAY_TASK_MIN in steps of SLURM_ARRAY_TASK_STEP when those are set, so `--array=1-4`
 *   (or `--array=0-6:2`) gives shards 0..3 of 4.
 * A variable set to the empty string counts as unset, so a wrapper can blank one (VAR=) to let the next source apply.
 */
export function parseShard(text: string, env: NodeJS.ProcessEnv = process.env): Shard {
  if (text.trim().toLowerCase() === 'auto') return shardFromEnvironment(env);
  return parseFraction(text, `--shard ${text}`, 'For three jobs use --shard 0/3, --shard 1/3 and --shard 2/3, or --shard auto under a scheduler.');
}

function shardFromEnvironment(env: NodeJS.ProcessEnv): Shard {
  const get = (name: string) => env[name]?.trim() || undefined;
  const explicit = get('PCONV_SHARD');
  if (explicit !== undefined)
    return parseFraction(explicit, `PCONV_SHARD=${explicit}`, 'Set PCONV_SHARD to i/n, e.g. PCONV_SHARD=1/3 for the second of three jobs.');

  const completion = get('JOB_COMPLETION_INDEX');
  if (completion !== undefined) {
    const count = get('PCONV_SHARD_COUNT');
    if (count === undefined) {
      throw new UserError('BAD_ARGUMENT', `--shard auto found JOB_COMPLETION_INDEX=${completion} but PCONV_SHARD_COUNT is not set`, {
        hint: `Kubernetes does not tell a pod its Job's completions: set env PCONV_SHARD_COUNT to spec.completions in the pod template. ${EXAMPLES_HINT}`,
      });
    }
    return withinCount(
      wholeNumber('JOB_COMPLETION_INDEX', completion),
      positiveNumber('PCONV_SHARD_COUNT', count),
      `JOB_COMPLETION_INDEX=${completion}`,
      `PCONV_SHARD_COUNT=${count}`,
      "Set PCONV_SHARD_COUNT to the Job's spec.completions (completionMode: Indexed numbers pods 0 to completions - 1).",
    );
  }

  const task = get('SLURM_ARRAY_TASK_ID');
  if (task !== undefined) {
    const countText = get('SLURM_ARRAY_TASK_COUNT');
    if (countText === undefined) {
      throw new UserError('BAD_ARGUMENT', `--shard auto found SLURM_ARRAY_TASK_ID=${task} but SLURM_ARRAY_TASK_COUNT is not set`, {
        hint: 'Slurm sets it for the tasks of a job array (sbatch --array); with an older Slurm, set PCONV_SHARD=i/n in the batch script instead.',
      });
    }
    const id = wholeNumber('SLURM_ARRAY_TASK_ID', task);
    const count = positiveNumber('SLURM_ARRAY_TASK_COUNT', countText);
    const minText = get('SLURM_ARRAY_TASK_MIN');
    const stepText = get('SLURM_ARRAY_TASK_STEP');
    const maxText = get('SLURM_ARRAY_TASK_MAX');
    const min = minText === undefined ? 0 : wholeNumber('SLURM_ARRAY_TASK_MIN', minText);
    const step = stepText === undefined ? 1 : positiveNumber('SLURM_ARRAY_TASK_STEP', stepText);
    const contiguousHint = `Submit the array as one evenly spaced range of n tasks, e.g. sbatch --array=0-${count - 1} (or 1-${count}); ids in a list with gaps cannot be numbered as shards.`;
    const counting = [
      minText === undefined ? [] : [`from SLURM_ARRAY_TASK_MIN=${minText}`],
      step === 1 ? [] : [`in steps of SLURM_ARRAY_TASK_STEP=${stepText}`],
    ].flat();
    const from = `SLURM_ARRAY_TASK_ID=${task}${counting.length ? ` (counted ${counting.join(' ')})` : ''}`;
    // An array with gaps (--array=1,3,7) has fewer tasks than its span; its ids are not 0..n-1 of anything.
    if (maxText !== undefined) {
      const max = wholeNumber('SLURM_ARRAY_TASK_MAX', maxText);
      if ((max - min) / step + 1 !== count) {
        throw new UserError(
          'BAD_ARGUMENT',
          `--shard auto: the Slurm array ${min}-${max}${step === 1 ? '' : `:${step}`} (SLURM_ARRAY_TASK_MIN=${minText ?? '(unset)'}, SLURM_ARRAY_TASK_MAX=${maxText}) does not hold SLURM_ARRAY_TASK_COUNT=${countText} evenly spaced tasks`,
          { hint: contiguousHint },
        );
      }
    }
    const offset = id - min;
    if (offset < 0 || offset % step !== 0) {
      throw new UserError('BAD_ARGUMENT', `--shard auto: ${from} is not a task of an evenly spaced array`, { hint: contiguousHint });
    }
    return withinCount(offset / step, count, from, `SLURM_ARRAY_TASK_COUNT=${countText}`, contiguousHint);
  }

  throw new UserError('BAD_ARGUMENT', '--shard auto found no shard: PCONV_SHARD, JOB_COMPLETION_INDEX and SLURM_ARRAY_TASK_ID are all unset', {
    hint: `Run it as a task of a Slurm job array, as a pod of a Kubernetes Indexed Job (with PCONV_SHARD_COUNT), or set PCONV_SHARD=i/n; or give --shard i/n. ${EXAMPLES_HINT}`,
  });
}

function parseFraction(text: string, what: string, hint: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || !(count >= 1) || !(index >= 0 && index < count) || !Number.isSafeInteger(count)) {
    throw new UserError('BAD_ARGUMENT', `${what} is not i/n with 0 <= i < n`, { hint });
  }
  return { index, count };
}

function wholeNumber(name: string, value: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(number)) {
    throw new UserError('BAD_ARGUMENT', `--shard auto: ${name}=${value} is not a whole number`, {
      hint: `${name} should be a number such as 0, 1 or 2; unset it or set PCONV_SHARD=i/n to choose the shard yourself.`,
    });
  }
  return number;
}

function positiveNumber(name: string, value: string): number {
  const number = wholeNumber(name, value);
  if (number < 1) {
    throw new UserError('BAD_ARGUMENT', `--shard auto: ${name}=${value} is not a count of at least 1`, {
      hint: `${name} is the number of shards, the same in every job.`,
    });
  }
  return number;
}

function withinCount(index: number, count: number, indexFrom: string, countFrom: string, hint: string): Shard {
  if (index >= count) {
    throw new UserError('BAD_ARGUMENT', `--shard auto: ${indexFrom} gives shard ${index}, not below ${countFrom}`, { hint });
  }
  return { index, count };
}
