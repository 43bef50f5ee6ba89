/** What the shortcut audit reports; plain types only, so run files and the webviews can name them without pulling in face-api. */

export type ShortcutCue = "identity" | "picture-size" | "border" | "jpeg-bytes-per-pixel";

/** One cue's result. */
export interface ShortcutCheck {
  cue: ShortcutCue;
  /** Cross-validated balanced accuracy of the cue alone (0.5 = no cue); null when too few pictures could be measured. */
  balancedAccuracy: number | null;
  /** Pictures the cue was measured on. */
  pictures: number;
  separates: boolean;
}

/** What run.json, metrics.json, the CLI, the Training panel and the model card report. */
export interface ShortcutAudit {
  /** The class audited against all others. */
  fakeLabel: string;
  sampled: Record<string, number>;
  /** Sampled pictures in which no face was found (left out of the identity check). */
  noFace: number;
  checks: ShortcutCheck[];
  /** Plain-words findings with the fix; empty when no cue separates the classes. */
  warnings: string[];
}

