/**
 * Sets one `train` field of deepfake-studio.json (the backbone after "Use Offline Backbone", the learning rate the
 * finder suggested), keeping every other field as the user wrote it; the result is validated before it is written.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { ConfigError } from "../shared/errors";
import { writeFileAtomic } from "../shared/safe-files";
import { CONFIG_FILE_NAME, loadProjectConfig, parseProjectConfig, type ProjectConfig } from "./project-config";

/** The train fields a front end may set for the user. */
export type SettableTrainField = "backbone" | "learningRate";

/** Writes `train.<field> = value` into the project file and returns the validated config. */
export async function setTrainSetting(params: { projectDir: string; field: SettableTrainField; value: string | number }): Promise<ProjectConfig> {
  await loadProjectConfig(params.projectDir); // says in words when the file is missing or broken
  const file = path.join(params.projectDir, CONFIG_FILE_NAME);
  const raw = JSON.parse(await fs.readFile(file, "utf8")) as Record<string, unknown>;
  const train = raw.train;
  if (train !== undefined && (typeof train !== "object" || train === null || Array.isArray(train))) {
    throw new ConfigError(`${CONFIG_FILE_NAME}: field "train" must be an object.`, "train", "Fix the file, then try again.");
  }
  const updated = { ...raw, train: { ...(train as Record<string, unknown> | undefined), [params.field]: params.value } };
  const config = parseProjectConfig(updated, CONFIG_FILE_NAME);
  await writeFileAtomic(file, `${JSON.stringify(updated, null, 2)}\n`);
  return config;
}
