import { describe, expect, test } from 'vitest';
import { runOutcomeOf } from '../../src/host/runs-model.js';

describe('runOutcomeOf', () => {
  test.each([
    ['a clean exit', { exitCode: 0, cancelled: false }, 0],
    ['a failure', { exitCode: 1, cancelled: false }, 1],
    ['a stop that ended cleanly', { exitCode: 130, cancelled: true }, 130],
    ['a stop that needed SIGKILL', { exitCode: null, cancelled: true }, 130],
    ['a death by signal nobody asked for', { exitCode: null, cancelled: false }, -1],
  ])('%s', (_name, outcome, exitCode) => {
    expect(runOutcomeOf({ ...outcome, message: 'm' }, 5)).toEqual({ exitCode, at: 5, message: 'm' });
  });
});

test('the start time, when given, is kept: a run.json started later is of another process', () => {
  expect(runOutcomeOf({ exitCode: 1, cancelled: false, message: 'm' }, 9, 4)).toEqual({ exitCode: 1, at: 9, startedAt: 4, message: 'm' });
});
