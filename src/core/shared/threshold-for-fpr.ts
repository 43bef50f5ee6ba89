/**
 * The decision threshold for a target false-positive rate: the lowest fake probability at which "score ≥ threshold"
 * flags at most `maxFpr` of the real pictures, so as many fakes as possible are caught within that budget. Real
 * pictures alone are enough to set it (someone protecting a person often has no fakes of them); the share of fakes
 * it catches is then unknown (null).
 */
import { StudioError } from "./errors";
import { countClasses, type BinaryScores } from "./binary-scores";

/** The false-positive budget when none is given: evaluate's suggestion, and the threshold training sets for models of synthesized fakes. */
export const DEFAULT_MAX_FPR = 0.05;

/** Parameters of thresholdForFpr. */
export interface ThresholdForFprParams extends BinaryScores {
  /** Highest acceptable share of real pictures flagged, from 0 to 1 (exclusive of 1). */
  maxFpr: number;
}

/** The threshold and what it achieves on these pictures. */
export interface FprThreshold {
  threshold: number;
  maxFpr: number;
  /** Achieved on these pictures (≤ maxFpr). */
  fpr: number;
  /** Share of the fakes among these pictures it flags; null when there are none. */
  tpr: number | null;
  /** Real pictures flagged at the threshold, of how many. */
  falsePositives: number;
  negatives: number;
}

export function thresholdForFpr(params: ThresholdForFprParams): FprThreshold {
  const { maxFpr } = params;
  if (!(Number.isFinite(maxFpr) && maxFpr >= 0 && maxFpr < 1)) {
    throw new StudioError(`The target false-positive rate must be a number from 0 to below 1, got ${maxFpr}.`, "invalid-argument", "0.05 flags at most 5% of real pictures.");
  }
  const counts = countClasses(params);
  if (counts.negatives === 0) {
    throw new StudioError(`A threshold for a false-positive rate needs real pictures; there are ${counts.positives} fake and none real.`, "evaluation-one-class",
      "Put real pictures the model never saw in a sub-folder named like the real category (e.g. Real/).");
  }
  const negatives = params.scores.filter((_, i) => !params.positives[i]).sort((a, b) => b - a);
  // At most `allowed` real pictures may score at or above the threshold, so it must lie above the next one's score.
  const allowed = Math.floor(maxFpr * counts.negatives + 1e-9);
  const limit = negatives[allowed];
  let threshold: number;
  if (limit === undefined) {
    threshold = Math.min(...params.scores);
  } else {
    // The lowest score above the limit flags exactly what any threshold just above the limit would. Without fakes, the
    // scores above it are the real pictures allowed to be flagged: just above the limit is the most sensitive choice.
    const above = counts.positives > 0 ? params.scores.filter((score) => score > limit) : [];
    threshold = above.length > 0 ? Math.min(...above) : nextUp(limit);
  }
  const falsePositives = negatives.filter((score) => score >= threshold).length;
  const truePositives = params.scores.filter((score, i) => params.positives[i] && score >= threshold).length;
  return { threshold, maxFpr, fpr: falsePositives / counts.negatives, tpr: counts.positives > 0 ? truePositives / counts.positives : null, falsePositives, negatives: counts.negatives };
}

/** The next double above `value` (a real picture scoring the highest probability of all is still left unflagged). */
function nextUp(value: number): number {
  if (value === 0) return Number.MIN_VALUE;
  const buffer = new DataView(new ArrayBuffer(8));
  buffer.setFloat64(0, value);
  buffer.setBigUint64(0, buffer.getBigUint64(0) + 1n);
  return buffer.getFloat64(0);
}
