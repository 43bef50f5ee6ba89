/** Errors export throws on purpose; each message says what to do next. */
import { StudioError } from "../shared/errors";
import type { Hint } from "../shared/hint";

/** Why an export could not be made; the previous export folder, if any, is untouched when this is thrown. */
export class ExportError extends StudioError {
  constructor(
    message: string,
    code: "no-run" | "run-not-found" | "run-invalid" | "backbone-unavailable" | "backbone-mismatch" | "export-verify-failed" | "out-dir-refused",
    hint?: Hint,
  ) {
    super(message, code, hint);
  }
}
