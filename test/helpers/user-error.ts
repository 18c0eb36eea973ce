import { expect } from 'vitest';
import { UserError } from '../../src/core/errors.js';

/** The UserError a promise rejects with; fails the test when it resolves or rejects with something else. */
export async function userErrorOf(promise: Promise<unknown>): Promise<UserError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UserError);
  return error as UserError;
}
