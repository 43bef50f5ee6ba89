/** `deepfake-studio init`: write a project file with the seed notebook's defaults. */
import type { Command } from "commander";
import * as path from "node:path";
import { defaultProjectConfig, initProject } from "../../core/project/project-config";
import { projectDirOf } from "./context";

export function registerInitCommand(program: Command): void {
  program
    .command("init")
    .description("write deepfake-studio.json with the defaults (two Tom Cruise searches, 200 images each, 400 px)")
    .option("--face-crop", "train on faces: keep the crop of each picture's largest face (faceCrop: true)")
    .action(async (options: { faceCrop?: boolean }, command: Command) => {
      const projectDir = projectDirOf(command);
      const file = await initProject({ projectDir, config: { ...defaultProjectConfig(), faceCrop: options.faceCrop === true } });
      process.stdout.write(`Wrote ${path.relative(process.cwd(), file) || file}. Next: deepfake-studio gather\n`);
    });
}
