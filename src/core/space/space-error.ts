/** Errors the Space scaffolder throws on purpose. */
import { StudioError } from "../shared/errors";
import type { Hint } from "../shared/hint";

export class SpaceError extends StudioError {
  constructor(message: string, code: "space-export-missing" | "space-out-invalid" | "space-examples-invalid" | "space-sdk-mismatch" | "space-templates-missing" | "space-invalid", hint?: Hint) {
    super(message, code, hint);
  }
}
