import { describe, expect, test } from 'vitest';
import { runOutcomeOf } from '../../src/host/runs-model.js';

describe('runOutcomeOf', () => {
  test.each([
    ['a clean exit', { exitCode: 0, cancelled: false }, { exitCode: 0 }],
    ['a failure', { exitCode: 1, cancelled: false }, { exitCode: 1, code: 'exit 1' }],
    ['a failure with its error event', { exitCode: 1, cancelled: false, errors: [{ code: 'MASKS_MISSING' }] }, { exitCode: 1, code: 'MASKS_MISSING' }],
    ['a stop that ended cleanly', { exitCode: 130, cancelled: true }, { exitCode: 130 }],
    ['a stop that needed SIGKILL', { exitCode: null, cancelled: true, signal: 'SIGKILL' as const }, { exitCode: 130 }],
    ['a death by signal nobody asked for', { exitCode: null, cancelled: false, signal: 'SIGKILL' as const }, { exitCode: -1, code: 'SIGKILL' }],
  ])('%s', (_name, outcome, expected) => {
    expect(runOutcomeOf({ ...outcome, message: 'm' }, 5)).toEqual({ ...expected, at: 5, message: 'm' });
  });
});

test('the start time, when given, is kept: a run.json started later is of another process', () => {
  expect(runOutcomeOf({ exitCode: 1, cancelled: false, message: 'm' }, 9, 4)).toEqual({ exitCode: 1, at: 9, startedAt: 4, message: 'm', code: 'exit 1' });
});
