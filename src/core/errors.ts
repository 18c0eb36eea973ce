/**
 * The one error class for problems a user can fix (a missing file, an invalid config key, an
 * unreachable mask bin). Anything else that escapes is a bug and the CLI says so (exit code 2).
 */
export class UserError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly details: readonly string[];

  constructor(code: string, message: string, options: { hint?: string; details?: readonly string[]; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'UserError';
    this.code = code;
    this.hint = options.hint;
    this.details = options.details ?? [];
  }
}

/** Thrown when the user interrupts (Ctrl-C); the CLI maps it to exit code 130. */
export class InterruptedError extends Error {
  constructor(message = 'interrupted') {
    super(message);
    this.name = 'InterruptedError';
  }
}

export function isUserError(error: unknown): error is UserError {
  return error instanceof UserError;
}
