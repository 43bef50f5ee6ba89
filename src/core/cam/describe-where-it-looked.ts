/** The run's "where the model looked" in words, for the CLI summary, the model card and the Training panel. */
import type { WhereItLooked } from "../train/run-files";

/** The finding, then (when the model looks mostly elsewhere) a line starting "Warning: "; [] when it was not measured. */
export function describeWhereItLooked(looked: WhereItLooked | undefined): string[] {
  if (!looked) return [];
  const share = `${Math.round(looked.faceShare * 100)}%`;
  const main = `Where the model looked: on average ${share} of each validation picture's activation map lies inside the face (${looked.pictures} picture(s), ${looked.mostlyElsewhere} of them mostly elsewhere).`;
  return looked.warning ? [main, `Warning: ${looked.warning}`] : [main];
}
