import { renderHintForCli, type Hint, type HintPart } from "./hint";

/** Base of every error the core throws on purpose: a message a person can act on, plus a stable code. */
export class StudioError extends Error {
  /** What the user can do about it, shown under the message, phrased for the command line. */
  readonly hint?: string;
  /** The same hint with its next steps left as step names, for a front end that phrases them its own way (VS Code). */
  readonly hintParts?: HintPart[];

  constructor(
    message: string,
    /** Stable machine-readable code, e.g. "config-invalid", "search-rate-limited". */
    readonly code: string,
    /** Plain text, or parts that name steps (`{ step: "gather" }`) so each front end can name its own command. */
    hint?: Hint,
  ) {
    super(message);
    this.name = new.target.name;
    if (Array.isArray(hint)) {
      this.hintParts = hint;
      this.hint = renderHintForCli(hint);
    } else {
      this.hint = hint;
    }
  }
}

/** deepfake-studio.json is missing or one of its fields is wrong. */
export class ConfigError extends StudioError {
  constructor(message: string, readonly field?: string, hint?: Hint) {
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
