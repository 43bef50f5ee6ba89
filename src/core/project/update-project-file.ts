/**
 * Changes deepfake-studio.json for the user (a setting a front end writes: the backbone, the learning rate, the fake
 * label), keeping every other field as they wrote it; the result is validated before it is written.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { writeFileAtomic } from "../shared/safe-files";
import { CONFIG_FILE_NAME, loadProjectConfig, parseProjectConfig, type ProjectConfig } from "./project-config";

/** Applies `change` to the file's JSON, validates the result, writes it atomically and returns the config. */
export async function updateProjectFile(projectDir: string, change: (raw: Record<string, unknown>) => Record<string, unknown>): Promise<ProjectConfig> {
  await loadProjectConfig(projectDir); // says in words when the file is missing or broken
  const file = path.join(projectDir, CONFIG_FILE_NAME);
  const updated = change(JSON.parse(await fs.readFile(file, "utf8")) as Record<string, unknown>);
  const config = parseProjectConfig(updated, CONFIG_FILE_NAME);
  await writeFileAtomic(file, `${JSON.stringify(updated, null, 2)}\n`);
  return config;
}
