import { UserError } from '../errors.js';

/** File-system failures that the user can fix (permissions, space, a wrong path), in words. */
const USER_FIXABLE: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'the path is a folder, not a file',
  ENAMETOOLONG: 'the path is too long',
};

/**
 * Turns a Node file-system error that the user can fix into a UserError naming the path and the
 * reason; returns undefined for anything else (which is then a bug).
 */
export function fileSystemUserError(error: unknown): UserError | undefined {
  const e = error as NodeJS.ErrnoException | undefined;
  const reason = fileSystemReason(error);
  if (!reason) return undefined;
  const action = e?.syscall ? `${e.syscall} ` : '';
  return new UserError('FILE_SYSTEM', `cannot ${action}${e?.path ?? 'a file'}: ${reason}`, {
    hint: 'Choose another output folder (--out or output.dir), free some space, or fix the permissions. Nothing partial was kept.',
    cause: error,
  });
}

/** A file-system failure that the user can fix in words, with its code (`permission denied (EACCES)`); undefined for anything else. */
export function fileSystemReason(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const reason = code ? USER_FIXABLE[code] : undefined;
  return reason ? `${reason} (${code})` : undefined;
}
