/** The shortcut audit in words, shared by the CLI summary, the Training panel and the model card. */
import type { ShortcutAudit, ShortcutCue } from "./shortcut-audit";

/** A cue reaching this cross-validated balanced accuracy alone is flagged (kept here, import-free, for the webviews). */
export const SEPARATES = 0.9;

const CUE_NAMES: Record<ShortcutCue, string> = { identity: "face identity", "picture-size": "picture size", border: "border", "jpeg-bytes-per-pixel": "JPEG bytes/pixel" };

/** One line with every cue's cross-validated accuracy, then either "none separates" or each finding with its fix. */
export function describeAudit(audit: ShortcutAudit): string[] {
  const cells = audit.checks.map((check) => `${CUE_NAMES[check.cue]} ${check.balancedAccuracy === null ? "not measured" : `${Math.round(check.balancedAccuracy * 100)} %`}`);
  const pictures = Object.values(audit.sampled).reduce((a, b) => a + b, 0);
  const head = `Shortcut audit (${pictures} pictures; 50 % = no cue, flagged from ${Math.round(SEPARATES * 100)} %): ${cells.join(", ")}${audit.noFace > 0 ? `; no face found in ${audit.noFace}` : ""}.`;
  return audit.warnings.length === 0 ? [head, "None of these alone tells the classes apart."] : [head, ...audit.warnings.map((warning) => `Warning: ${warning}`)];
}
