/** Finds the project (a workspace folder holding deepfake-studio.json) and loads its config, settings filling the gaps. */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import type { ProjectConfig } from "../core/project/project-config";
import { loadCore } from "./core";
import { GlueError } from "./errors";
import { explicitProjectSettings, fillFromSettings } from "./settings";

/** The project file's name (the core's CONFIG_FILE_NAME, repeated here so activation need not load the core). */
export const PROJECT_FILE = "deepfake-studio.json";

export interface Project {
  projectDir: string;
  config: ProjectConfig;
  /** The data folder, absolute. */
  dataDir: string;
}

/** Workspace folders that hold a project file. */
export async function findProjectDirs(): Promise<string[]> {
  const dirs: string[] = [];
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    if (folder.uri.scheme !== "file") continue;
    const exists = await fs.stat(path.join(folder.uri.fsPath, PROJECT_FILE)).then((stat) => stat.isFile(), () => false);
    if (exists) dirs.push(folder.uri.fsPath);
  }
  return dirs;
}

/** The project folder to act on: the only one, or the one the user picks; throws "no-project" when there is none. */
export async function pickProjectDir(options: { quiet?: boolean } = {}): Promise<string> {
  const dirs = await findProjectDirs();
  if (dirs.length === 0) {
    throw new GlueError(`No ${PROJECT_FILE} in this workspace.`, "no-project", "Run “Deepfake Studio: New Project” to create one.");
  }
  if (dirs.length === 1 || options.quiet) return dirs[0];
  const picked = await vscode.window.showQuickPick(dirs.map((dir) => ({ label: path.basename(dir), description: dir, dir })), { placeHolder: "Which Deepfake Studio project?" });
  if (!picked) throw new GlueError("No project chosen.", "cancelled");
  return picked.dir;
}

/** Loads and validates the project file (core), then fills what it lacks from explicitly set settings. */
export async function loadProject(projectDir: string): Promise<Project> {
  const core = await loadCore();
  let config = await core.loadProjectConfig(projectDir);
  const raw = JSON.parse(await fs.readFile(path.join(projectDir, PROJECT_FILE), "utf8")) as Record<string, unknown>;
  const settings = explicitProjectSettings();
  if (Object.keys(settings).length > 0) {
    config = core.parseProjectConfig(fillFromSettings(raw, settings), `${PROJECT_FILE} + settings`);
  }
  return { projectDir, config, dataDir: core.resolveDataDir(projectDir, config) };
}

/** pickProjectDir + loadProject. */
export async function openProject(options: { quiet?: boolean } = {}): Promise<Project> {
  return loadProject(await pickProjectDir(options));
}
