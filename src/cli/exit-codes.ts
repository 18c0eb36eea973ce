/** The CLI's exit codes: documented in README.md and relied on by CI scripts and the extension. */
export const ExitCode = {
  ok: 0,
  /** Something the user can fix: the message says what and a hint says how. */
  userError: 1,
  /** A bug in pconv-bench. */
  internalError: 2,
  /** Stopped by Ctrl-C (SIGINT) or SIGTERM after saving what can be saved. */
  interrupted: 130,
} as const;
