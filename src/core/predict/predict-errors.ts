/** Errors predict throws or reports on purpose. */
import { StudioError } from "../shared/errors";
import type { Hint } from "../shared/hint";

/** The export folder is missing, incomplete, tampered with or not ours; nothing from it was run. */
export class InvalidExportError extends StudioError {
  constructor(message: string, hint: Hint = ["Run ", { step: "export" }, " again to write a complete export folder", { cliOnly: ", or point --model at one" }, "."]) {
    super(message, "export-invalid", hint);
  }
}
