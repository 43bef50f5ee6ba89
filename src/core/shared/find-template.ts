/** A file under templates/ (next to package.json), found from this file so it works from out/ and from a packaged extension. */
import { existsSync } from "node:fs";
import * as path from "node:path";
import { StudioError } from "./errors";

/** Absolute path of templates/<relative>; throws when the studio's templates are missing. */
export function findTemplateFile(relative: string, start: string = __dirname): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, "templates", relative);
    if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) break;
  }
  throw new StudioError(`The template ${relative} was not found above ${start}.`, "templates-missing", "Reinstall Deepfake Detector Studio; its templates/ folder is incomplete.");
}
