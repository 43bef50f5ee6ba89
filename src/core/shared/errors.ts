import { accessSync, constants as fsConstants, statSync } from "node:fs";
import * as path from "node:path";

/** Base of every error the core throws on purpose: a message a person can act on, plus a stable code. */
export class StudioError extends Error {
  constructor(
    message: string,
    /** Stable machine-readable code, e.g. "config-invalid", "search-rate-limited". */
    readonly code: string,
    /** What the user can do about it, shown under the message. */
    readonly hint?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** deepfake-studio.json is missing or one of its fields is wrong. */
export class ConfigError extends StudioError {
  constructor(message: string, readonly field?: string, hint?: string) {
    super(message, "config-invalid", hint);
  }
}

/** An operation was cancelled through its AbortSignal. */
export class CancelledError extends StudioError {
  constructor(what = "operation") {
    super(`The ${what} was cancelled.`, "cancelled");
  }
}

/** Throws CancelledError when the signal has fired; call between units of work. */
export function throwIfAborted(signal: AbortSignal | undefined, what?: string): void {
  if (signal?.aborted) throw new CancelledError(what);
}

/** Turns file-system failures (full disk, read-only folder, missing permission, a file where a folder should be) into actionable errors. */
export function describeFsError(error: unknown, path: string): Error {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case "ENOSPC":
      return new StudioError(`The disk is full while writing ${path}.`, "disk-full", "Free some space and run the command again; finished files are kept.");
    case "EROFS":
      return new StudioError(`Cannot write ${path}: it is on a read-only disk.`, "not-writable", "Choose a writable project folder (or make the disk writable) and run the command again.");
    case "EACCES":
    case "EPERM":
      return new StudioError(`Cannot write ${path}: permission denied (the folder is read-only or not yours).`, "not-writable", "Choose a writable project folder or fix its permissions.");
    case "ENOTDIR":
      return new StudioError(`Cannot use ${path}: a part of that path is a file, not a folder.`, "not-a-folder", "Check the path; a file stands where a folder is expected.");
    default:
      return error instanceof Error ? error : new Error(String(error));
  }
}

/**
 * Words for a file-system error that reached the surface without a StudioError around it (the last line of defence
 * of the command line and the extension): never the bare "ENOENT: no such file or directory, open '…'".
 */
export function describeUnexpectedFsError(error: unknown): Error {
  const fsError = error as NodeJS.ErrnoException | undefined;
  if (!(error instanceof Error) || error instanceof StudioError || typeof fsError?.code !== "string" || typeof fsError.syscall !== "string") {
    return error instanceof Error ? error : new Error(String(error));
  }
  const target = fsError.path ?? "a file";
  const described = describeFsError(fsError.syscall === "mkdir" ? mkdirFailureCause(target, error) : error, target);
  if (described instanceof StudioError) return described;
  const what = FS_ERROR_WORDS[fsError.code] ?? error.message.replace(/^E[A-Z]+: /, "").replace(/, \w+ '.*'$/, "");
  return new StudioError(`Could not ${SYSCALL_WORDS[fsError.syscall] ?? "use"} ${target}: ${what}.`, "file-system", "Check that path and run the command again.");
}

/**
 * The real cause of a failed recursive mkdir, which reports a read-only disk as ENOENT ("no such file or directory")
 * and a file in the way as EEXIST: the nearest existing folder above `dir` is asked, without creating anything.
 */
export function mkdirFailureCause(dir: string, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code !== "ENOENT" && code !== "EEXIST") return error;
  let existing = path.resolve(dir);
  let stat = statSync(existing, { throwIfNoEntry: false });
  while (!stat && path.dirname(existing) !== existing) {
    existing = path.dirname(existing);
    stat = statSync(existing, { throwIfNoEntry: false });
  }
  if (stat && !stat.isDirectory()) return Object.assign(new Error(`${existing} is a file`), { code: "ENOTDIR", path: existing });
  try {
    accessSync(existing, fsConstants.W_OK);
  } catch (cause) {
    return cause;
  }
  return error;
}

const FS_ERROR_WORDS: Record<string, string> = {
  ENOENT: "it does not exist (or a folder above it is missing)",
  EEXIST: "something with that name is already there",
  EISDIR: "it is a folder, not a file",
  ENOTEMPTY: "the folder is not empty",
  EBUSY: "it is in use by another program",
  EMFILE: "too many files are open at once",
  ELOOP: "it is a chain of symbolic links that never ends",
  ENAMETOOLONG: "the name is too long",
};

const SYSCALL_WORDS: Record<string, string> = {
  open: "open",
  read: "read",
  write: "write",
  mkdir: "create the folder",
  rmdir: "remove the folder",
  unlink: "remove",
  rename: "move",
  link: "link",
  copyfile: "copy",
  scandir: "list the folder",
  stat: "look at",
  lstat: "look at",
};
