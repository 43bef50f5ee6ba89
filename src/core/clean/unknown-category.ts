/** The message for a label that is not one of the project's categories, listing the ones there are. */
import type { ProjectConfig } from "../project/project-config";
import { StudioError } from "../shared/errors";

export function unknownCategoryError(config: ProjectConfig, label: string, context: string): StudioError {
  const labels = config.categories.map((category) => `"${category.label}"`).join(", ");
  return new StudioError(`${context}: there is no category "${label}".`, "unknown-category", `Use one of ${labels}.`);
}
