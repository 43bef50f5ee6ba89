/** The project file's fakeLabel for commands that do not need the project file otherwise (check, evaluate). */
import { loadProjectConfig } from "./project-config";

/** fakeLabel, or undefined when the folder has no readable project file (check and evaluate work without one). */
export async function readProjectFakeLabel(projectDir: string): Promise<string | undefined> {
  try {
    return (await loadProjectConfig(projectDir)).fakeLabel;
  } catch {
    return undefined;
  }
}
