/** What every sub-command reads from the global options. */
import type { Command } from "commander";
import * as path from "node:path";
import { loadProjectConfig, type ProjectConfig } from "../../core/project/project-config";

/** The --project folder (default: the current folder), absolute. */
export function projectDirOf(command: Command): string {
  return path.resolve(command.optsWithGlobals<{ project: string }>().project);
}

/** The validated project file of the --project folder. */
export async function loadProjectOf(command: Command): Promise<{ projectDir: string; config: ProjectConfig }> {
  const projectDir = projectDirOf(command);
  return { projectDir, config: await loadProjectConfig(projectDir) };
}
