import { UserError } from './errors.js';

/**
 * Checks that shard indices cover 0..count-1 exactly once before a merge; `noun` names what is
 * merged in messages ("shard", "evaluation shard").
 */
export function checkShardCoverage(indices: readonly number[], count: number, noun: string): void {
  const seen = new Set<number>();
  for (const index of indices) {
    if (seen.has(index)) throw new UserError('MERGE_DUPLICATE', `${noun} ${index}/${count} is given twice`, { hint: 'Pass each shard once.' });
    seen.add(index);
  }
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !seen.has(i));
  if (missing.length > 0) {
    throw new UserError('MERGE_INCOMPLETE', `${noun}s ${missing.map((i) => `${i}/${count}`).join(', ')} are missing`, {
      hint: 'Run them, then merge all shards together.',
    });
  }
}
