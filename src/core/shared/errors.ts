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

/** Turns file-system failures (full disk, read-only folder, missing permission) into actionable errors. */
export function describeFsError(error: unknown, path: string): Error {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case "ENOSPC":
      return new StudioError(`The disk is full while writing ${path}.`, "disk-full", "Free some space and run the command again; finished files are kept.");
    case "EROFS":
    case "EACCES":
    case "EPERM":
      return new StudioError(`Cannot write ${path}: the folder is read-only or not yours (${code}).`, "not-writable", "Choose a writable project folder or fix its permissions.");
    default:
      return error instanceof Error ? error : new Error(String(error));
  }
}
