/** Where templates/ is: next to package.json, found from this file so it works from out/ and from a packaged extension. */
import { existsSync } from "node:fs";
import * as path from "node:path";
import { SpaceError } from "./space-error";

export function findTemplatesDir(start: string = __dirname): string {
  let dir = start;
  for (;;) {
    const candidate = path.join(dir, "templates");
    if (existsSync(path.join(candidate, "static", "index.html")) && existsSync(path.join(candidate, "gradio", "app.py"))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new SpaceError(`The Space templates were not found above ${start}.`, "space-templates-missing", "Reinstall Deepfake Detector Studio; its templates/ folder is missing.");
}
