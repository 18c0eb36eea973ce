import { stableStringify } from '../core/io/stable-json.js';

/** One dotted key whose value differs between two configs; a side without the key has undefined. */
export interface ConfigChange {
  readonly key: string;
  readonly before: unknown;
  readonly after: unknown;
}

/**
 * The dotted keys whose values differ between two configs (or any two JSON values), with both
 * values: objects are walked key by key, anything else (numbers, strings, lists) compared whole.
 */
export function changedKeys(before: unknown, after: unknown, prefix = ''): ConfigChange[] {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((key) => changedKeys(before[key], after[key], prefix ? `${prefix}.${key}` : key));
  }
  return configValueText(before) === configValueText(after) ? [] : [{ key: prefix || '(whole value)', before, after }];
}

/** A config value as the messages and tables show it: stable JSON, or "unset". */
export function configValueText(value: unknown): string {
  return value === undefined ? 'unset' : stableStringify(value);
}

/**
 * The dotted keys whose values differ between two configs (or any two JSON values), e.g.
 * "train.phase1.learningRate: 0.0002 -> 0.0001", for messages that must say what changed.
 */
export function configDifferences(before: unknown, after: unknown, prefix = ''): string[] {
  return changedKeys(before, after, prefix).map((c) => `${c.key}: ${configValueText(c.before)} -> ${configValueText(c.after)}`);
}
