/**
 * Manipulation sensitivity of a trained head: the share of same-person blends (self-blends of the validation real
 * pictures, never trained on) it calls fake. A detector that only learned who is in the picture flags few of them.
 */
import type { HeldOutThreshold, SameIdentityBlends } from "../train/run-files";

/** Parameters of measureBlendSensitivity. */
export interface MeasureBlendSensitivityParams {
  /** Feature rows of the blends, and why there are none when there are none. */
  probes: { rows: readonly number[]; problem?: string };
  labels: readonly string[];
  fakeLabel?: string;
  /** The trained head's log-probabilities of one feature row. */
  logProbabilities: (row: number) => ArrayLike<number>;
  /** The fake probability at which the model will decide (heldOutThreshold); absent: the arg-max. */
  threshold?: number;
}

/** Scores every blend; share is null (with a note) when there was nothing to score. */
export function measureBlendSensitivity(params: MeasureBlendSensitivityParams): SameIdentityBlends {
  const fakeIndex = params.fakeLabel === undefined ? -1 : params.labels.indexOf(params.fakeLabel);
  if (fakeIndex < 0 || params.probes.rows.length === 0) {
    return { fakeLabel: params.fakeLabel ?? null, scored: 0, flagged: 0, share: null, note: params.probes.problem ?? "no validation real picture with a face to blend" };
  }
  let flagged = 0;
  for (const row of params.probes.rows) {
    const logP = params.logProbabilities(row);
    let best = 0;
    for (let k = 1; k < logP.length; k++) if (logP[k] > logP[best]) best = k;
    const isFlagged = params.threshold === undefined ? best === fakeIndex : Math.exp(logP[fakeIndex]) >= params.threshold;
    if (isFlagged) flagged += 1;
  }
  return { fakeLabel: params.fakeLabel!, scored: params.probes.rows.length, flagged, share: flagged / params.probes.rows.length, ...(params.threshold !== undefined ? { threshold: params.threshold } : {}) };
}

/** "catches 85 % of same-person blends (17 of 20)", or why it was not measured. */
export function describeBlendSensitivity(blends: SameIdentityBlends | undefined): string {
  if (!blends) return "same-person blends: not measured (run made before this check existed)";
  if (blends.share === null) return `same-person blends: not measured (${blends.note ?? "nothing to score"})`;
  return `catches ${Math.round(blends.share * 100)} % of same-person blends (${blends.flagged} of ${blends.scored} self-blends of validation real pictures called "${blends.fakeLabel}"${blends.threshold !== undefined ? ` at the decision threshold ${blends.threshold.toFixed(3)}` : ""})`;
}

/** A synthesized-only run's decision threshold in words (train/held-out-threshold.ts), or undefined. */
export function describeHeldOutThreshold(threshold: HeldOutThreshold | undefined): string | undefined {
  if (!threshold) return undefined;
  return `Decision threshold ${threshold.threshold.toFixed(3)}: "${threshold.label}" from that probability up, set to flag at most ${Math.round(threshold.maxFpr * 100)} % of the ${threshold.realPictures} held-out real pictures (it flags ${Math.round(threshold.fpr * 100)} %), because synthesized fakes are easier to catch than real swaps and the most probable label would miss more of them. Export records it; a threshold chosen at export (by hand, or from an evaluation of real pictures) replaces it.`;
}

/**
 * A run whose fake class is all synthesized (train.selfBlend "only") is checked on the same kind of fakes it learned,
 * so its blend share says nothing of real swaps. Measured on the self-blend bench (BENCHMARKS.md, "Self-blends alone,
 * tested on swaps made as swap tools make them", "With the studio's default of 4 augmented views" and "Averaged heads"),
 * on same-person swaps of faces such models never saw, with the studio's defaults (4 views, 5 averaged heads, the
 * threshold set on the held-out real pictures, 4 test-time views; "Test-time views"): 82 % balanced accuracy over 5
 * splits of faces (75–95 % from one to another) on swaps pasted from a 128-px generator's output, 68 % (57–83 %) on
 * crude swaps pasted at the photo's resolution.
 * The figures live here only: the CLI, the Training panel and the model card show the warning, the Space page the note.
 */
const MEASURED_ON_REAL_SWAPS = "same-person face swaps of faces it never saw, models trained this way reached 82 % balanced accuracy on swaps pasted from a swap tool's 128-pixel output (75–95 % from one set of faces to another) and only 68 % (57–83 %) on crude swaps pasted at full resolution, in the studio's benchmark (50 % is chance";

/** The warning of a synthesized-only run (CLI summary, Training panel, model card); undefined for any other run. */
export function synthesizedOnlyWarning(metrics: { synthesized?: { mode: string } }): string | undefined {
  if (metrics.synthesized?.mode !== "only") return undefined;
  return `Warning: every fake this model trained on was synthesized from the real pictures (train.selfBlend "only"), so the share above is measured on fakes like those it learned. On ${MEASURED_ON_REAL_SWAPS}; BENCHMARKS.md). Add real same-person fakes to the fake category before relying on it.`;
}

/** The same caution for the Space page's visitors, who neither train nor read BENCHMARKS.md; written into space.json by create-space. */
export function synthesizedOnlySpaceNote(): string {
  return `Every fake it trained on was synthesized from real photos, so that share is measured on fakes like those it learned; on ${MEASURED_ON_REAL_SWAPS}).`;
}

/** The same-person check in words: the share line, why no self-blends were added (if training chose so), then a synthesized-only run's decision threshold and warning (if any). */
export function describeSameIdentityCheck(metrics: { sameIdentityBlends?: SameIdentityBlends; synthesized?: { mode: string; choice?: string }; heldOutThreshold?: HeldOutThreshold }): string[] {
  const warning = synthesizedOnlyWarning(metrics);
  const threshold = describeHeldOutThreshold(metrics.heldOutThreshold);
  return [describeBlendSensitivity(metrics.sameIdentityBlends), ...(metrics.synthesized?.choice ? [metrics.synthesized.choice] : []), ...(threshold ? [threshold] : []), ...(warning ? [warning] : [])];
}

/** What a run records about synthesis: the synthesized counts and the same-person blend check. */
export function synthesisMetrics(data: {
  labels: string[];
  synthesized: { train: Record<string, number>; valid: Record<string, number> };
  selfBlend: { mode: "off" | "add" | "only"; fakeLabel?: string; choice?: string };
  probes: MeasureBlendSensitivityParams["probes"];
}, logProbabilities: (row: number) => ArrayLike<number>, threshold?: number): { synthesized: { mode: "off" | "add" | "only"; choice?: string; train: Record<string, number>; valid: Record<string, number> }; sameIdentityBlends: SameIdentityBlends } {
  return {
    synthesized: { mode: data.selfBlend.mode, ...(data.selfBlend.choice ? { choice: data.selfBlend.choice } : {}), ...data.synthesized },
    // Measured where the exported model will decide.
    sameIdentityBlends: measureBlendSensitivity({ probes: data.probes, labels: data.labels, fakeLabel: data.selfBlend.fakeLabel, logProbabilities, threshold }),
  };
}

/** predictions.json lists files of the data folder only (the cleaner, the dataset view and the Space read it). */
export function dataFilePredictions<T>(items: ReadonlyArray<{ synthetic?: unknown }>, predictions: readonly T[]): T[] {
  return predictions.filter((_, index) => !items[index].synthetic);
}

/** "Synthesized 24 same-person fakes (train.selfBlend add): 18 train, 6 valid. " or "" when none. */
export function describeSynthesized(metrics: { synthesized?: { mode: string; train: Record<string, number>; valid: Record<string, number> } }): string {
  const s = metrics.synthesized;
  if (!s) return "";
  const count = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
  const [train, valid] = [count(s.train), count(s.valid)];
  return train + valid === 0 ? "" : `Synthesized ${train + valid} same-person fake(s) (train.selfBlend "${s.mode}"): ${train} train, ${valid} valid. `;
}
