import { UserError } from '../core/errors.js';

/** "i/n" -> { index: i, count: n }, with 0 <= i < n. */
export function parseShard(text: string): { index: number; count: number } {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || !(count >= 1) || !(index >= 0 && index < count)) {
    throw new UserError('BAD_ARGUMENT', `--shard ${text} is not i/n with 0 <= i < n`, { hint: 'For three jobs use --shard 0/3, --shard 1/3 and --shard 2/3.' });
  }
  return { index, count };
}
