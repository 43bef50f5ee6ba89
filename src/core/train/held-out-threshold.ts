/**
 * The decision threshold of a model whose every fake was synthesized (train.selfBlend "only"), set on its held-out
 * real pictures. Synthesized fakes are easier than real swaps (they are what the head learned), so the arg-max
 * boundary sits where it separates those and misses much of the real thing; the real pictures are the only genuine
 * evidence such a project has. The threshold flags at most DEFAULT_MAX_FPR of the validation real pictures, the
 * rule `export --max-fpr` applies to an evaluation, and is kept only below 0.5 (more sensitive than the arg-max).
 * BENCHMARKS.md, "A threshold set on the held-out real pictures": +5 points on unseen faces, none lost anywhere.
 */
import { DEFAULT_MAX_FPR, thresholdForFpr } from "../shared/threshold-for-fpr";
import type { HeldOutThreshold, RunPrediction } from "./run-files";

/** Where a picture's fake probability makes the fake label the most probable one, whatever the other labels. */
const ARG_MAX_BOUNDARY = 0.5;

/** Parameters of heldOutThreshold. */
export interface HeldOutThresholdParams {
  /** The run's synthesis mode; only "only" gets a threshold. */
  mode: "off" | "add" | "only";
  /** The synthesized fakes' label. */
  fakeLabel: string | undefined;
  /** Every data-folder picture's prediction (synthesized pictures are not among them). */
  predictions: readonly RunPrediction[];
  maxFpr?: number;
}

/** The threshold, or undefined when the run has fakes of its own, has no validation real picture, or the threshold would not lie below 0.5. */
export function heldOutThreshold(params: HeldOutThresholdParams): HeldOutThreshold | undefined {
  const { fakeLabel } = params;
  if (params.mode !== "only" || fakeLabel === undefined) return undefined;
  const scores = params.predictions.filter((p) => p.split === "valid" && p.label !== fakeLabel).map((p) => p.probabilities[fakeLabel] ?? 0);
  if (scores.length === 0) return undefined;
  const maxFpr = params.maxFpr ?? DEFAULT_MAX_FPR;
  const chosen = thresholdForFpr({ scores, positives: scores.map(() => false), maxFpr });
  // Only ever more sensitive than the most probable label: when the held-out real pictures themselves score that high,
  // a higher threshold would hide fakes the arg-max catches (measured: never better; BENCHMARKS.md).
  if (!(chosen.threshold > 0 && chosen.threshold < ARG_MAX_BOUNDARY)) return undefined;
  return { label: fakeLabel, threshold: chosen.threshold, maxFpr, realPictures: scores.length, fpr: chosen.fpr };
}
