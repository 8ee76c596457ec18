/**
 * A problem with what the user asked for. The CLI prints its message as one line
 * (`gradscope: <message>`) and exits with code 2; nothing already written is touched.
 */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

const SYSTEM_ERRORS: Readonly<Record<string, string>> = {
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
  EROFS: "read-only file system",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EIO: "input/output error",
  EMFILE: "too many open files",
  ENFILE: "too many open files in the system",
  ENOTDIR: "a part of the path is not a directory",
  EISDIR: "is a directory",
  ENAMETOOLONG: "file name too long",
};

/**
 * One line for a failed file-system call (a full or read-only disk, no permission): what
 * could not be done, where, and why, instead of an "internal error". Null for other errors.
 */
export function describeSystemError(err: unknown): string | null {
  if (!(err instanceof Error)) return null;
  const e = err as NodeJS.ErrnoException;
  const why = e.code ? SYSTEM_ERRORS[e.code] : undefined;
  if (!why) return null;
  const verbs: Readonly<Record<string, string>> = {
    open: "open",
    write: "write",
    rename: "write",
    mkdir: "create",
    read: "read",
    fsync: "write",
  };
  const verb = (e.syscall && verbs[e.syscall]) ?? "use";
  const where = e.path ? ` ${e.path}` : "";
  return `cannot ${verb}${where}: ${why} (${e.code})`;
}
