/** Sets one `train` field of deepfake-studio.json (the backbone after "Use Offline Backbone", the learning rate the finder suggested). */
import { ConfigError } from "../shared/errors";
import { CONFIG_FILE_NAME, type ProjectConfig } from "./project-config";
import { updateProjectFile } from "./update-project-file";

/** The train fields a front end may set for the user. */
export type SettableTrainField = "backbone" | "learningRate";

/** Writes `train.<field> = value` into the project file and returns the validated config. */
export async function setTrainSetting(params: { projectDir: string; field: SettableTrainField; value: string | number }): Promise<ProjectConfig> {
  return updateProjectFile(params.projectDir, (raw) => {
    const train = raw.train;
    if (train !== undefined && (typeof train !== "object" || train === null || Array.isArray(train))) {
      throw new ConfigError(`${CONFIG_FILE_NAME}: field "train" must be an object.`, "train", "Fix the file, then try again.");
    }
    return { ...raw, train: { ...(train as Record<string, unknown> | undefined), [params.field]: params.value } };
  });
}
