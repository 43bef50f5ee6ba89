/** The input every evaluation measure reads: one fake probability per picture and whether the picture is fake. */
import { StudioError } from "./errors";

/** Parallel arrays: `scores[i]` is picture i's probability of the fake label, `positives[i]` whether it is fake. */
export interface BinaryScores {
  scores: readonly number[];
  positives: readonly boolean[];
}

/** Counts of each class; throws when the arrays disagree or a score is not a number from 0 to 1. */
export function countClasses(params: BinaryScores): { positives: number; negatives: number } {
  const { scores, positives } = params;
  if (scores.length !== positives.length) throw new StudioError(`There are ${scores.length} scores but ${positives.length} labels.`, "invalid-argument");
  let count = 0;
  for (const [i, score] of scores.entries()) {
    if (!(Number.isFinite(score) && score >= 0 && score <= 1)) throw new StudioError(`Score ${i} is ${score}, not a probability from 0 to 1.`, "invalid-argument");
    if (positives[i]) count += 1;
  }
  return { positives: count, negatives: scores.length - count };
}

/** Both classes are needed for a ROC curve, an AUC or a false-positive rate. */
export function requireBothClasses(params: BinaryScores, what: string): { positives: number; negatives: number } {
  const counts = countClasses(params);
  if (counts.positives === 0 || counts.negatives === 0) {
    throw new StudioError(`${what} needs fake and real pictures; there are ${counts.positives} fake and ${counts.negatives} real.`, "evaluation-one-class",
      "Put pictures of each category in a sub-folder named like it (e.g. Real/ and Deepfake/).");
  }
  return counts;
}
