/** `deepfake-studio init`: write a project file with the seed notebook's defaults. */
import type { Command } from "commander";
import * as path from "node:path";
import { initProject } from "../../core/project/project-config";
import { projectDirOf } from "./context";

export function registerInitCommand(program: Command): void {
  program
    .command("init")
    .description("write deepfake-studio.json with the defaults (two Tom Cruise searches, 200 images each, 400 px)")
    .action(async (_options: object, command: Command) => {
      const projectDir = projectDirOf(command);
      const file = await initProject({ projectDir });
      process.stdout.write(`Wrote ${path.relative(process.cwd(), file) || file}. Next: deepfake-studio gather\n`);
    });
}
