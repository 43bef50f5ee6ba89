/** Sets fakeLabel in deepfake-studio.json: the category that means manipulated, when the labels do not say it alone. */
import type { ProjectConfig } from "./project-config";
import { updateProjectFile } from "./update-project-file";

/** Writes `fakeLabel = label` (one of the categories, or the file is refused) and returns the validated config. */
export async function setFakeLabel(params: { projectDir: string; label: string }): Promise<ProjectConfig> {
  return updateProjectFile(params.projectDir, (raw) => ({ ...raw, fakeLabel: params.label }));
}
