/**
 * The confusion matrix's shape, as plain types with no imports: the evaluation panel's protocol (src/shared) and
 * its webview bundle share it without pulling in the core (webview/tsconfig.json has no Node types).
 */

/** Counts and rates of the 2×2 confusion matrix of fake vs real; a rate whose denominator is 0 is null. */
export interface Confusion {
  /** Fake pictures flagged as fake. */
  truePositives: number;
  /** Real pictures flagged as fake. */
  falsePositives: number;
  /** Real pictures left as real. */
  trueNegatives: number;
  /** Fake pictures missed. */
  falseNegatives: number;
  /** Share of fakes flagged (recall, sensitivity). */
  tpr: number | null;
  /** Share of real pictures flagged. */
  fpr: number | null;
  accuracy: number | null;
  /** Mean of the true-positive and true-negative rates: not fooled by an unbalanced test set. */
  balancedAccuracy: number | null;
  /** Share of flagged pictures that are fake. */
  precision: number | null;
}
