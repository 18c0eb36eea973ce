import { stableStringify } from '../core/io/stable-json.js';

/**
 * The dotted keys whose values differ between two configs (or any two JSON values), e.g.
 * "train.phase1.learningRate: 0.0002 -> 0.0001", for messages that must say what changed.
 */
export function configDifferences(before: unknown, after: unknown, prefix = ''): string[] {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((key) => configDifferences(before[key], after[key], prefix ? `${prefix}.${key}` : key));
  }
  const a = before === undefined ? 'unset' : stableStringify(before);
  const b = after === undefined ? 'unset' : stableStringify(after);
  return a === b ? [] : [`${prefix || '(whole value)'}: ${a} -> ${b}`];
}
