/** What every sub-command reads from the global options. */
import type { Command } from "commander";
import * as path from "node:path";
import { checkProjectFolder, loadProjectConfig, type ProjectConfig } from "../../core/project/project-config";

/** The --project folder (default: the current folder), absolute; a file there is refused in words. */
export function projectDirOf(command: Command): string {
  const projectDir = path.resolve(command.optsWithGlobals<{ project: string }>().project);
  checkProjectFolder(projectDir);
  return projectDir;
}

/** The validated project file of the --project folder. */
export async function loadProjectOf(command: Command): Promise<{ projectDir: string; config: ProjectConfig }> {
  const projectDir = projectDirOf(command);
  return { projectDir, config: await loadProjectConfig(projectDir) };
}
