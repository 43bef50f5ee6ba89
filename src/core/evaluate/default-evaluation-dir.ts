/** Where an evaluation goes by default, `<project>/evaluation/<UTC time>`, and the project folders it must never be written into. */
import * as path from "node:path";
import { DEFAULT_EXPORT_FOLDER } from "../export/export-model";
import { RUNS_FOLDER_NAME } from "../export/find-run";
import { loadProjectConfig, resolveDataDir } from "../project/project-config";
import { EVALUATION_FOLDER_NAME } from "./read-evaluation";

/** `<project>/evaluation/2026-12-03T17-40-12Z` (the time in UTC, safe as a folder name on every OS). */
export function defaultEvaluationDir(projectDir: string, now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/\.\d+Z$/, "Z").replace(/:/g, "-");
  return path.join(path.resolve(projectDir), EVALUATION_FOLDER_NAME, stamp);
}

/** The project's data, runs and export folders (data from the project file when there is one, else data/). */
export async function projectProtectedDirs(projectDir: string): Promise<string[]> {
  const project = path.resolve(projectDir);
  const dataDir = await loadProjectConfig(project).then((config) => resolveDataDir(project, config), () => path.join(project, "data"));
  return [dataDir, path.join(project, RUNS_FOLDER_NAME), path.join(project, DEFAULT_EXPORT_FOLDER)];
}
