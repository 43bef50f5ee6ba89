/** The 2×2 confusion matrix of fake vs real and the rates read from it. */
import { StudioError } from "../shared/errors";

/** Counts and rates; a rate whose denominator is 0 is null. */
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

/** Parameters of confusionMatrix: per picture, whether it is fake and whether it was flagged. */
export interface ConfusionMatrixParams {
  positives: readonly boolean[];
  flagged: readonly boolean[];
}

export function confusionMatrix(params: ConfusionMatrixParams): Confusion {
  if (params.positives.length !== params.flagged.length) throw new StudioError(`There are ${params.positives.length} labels but ${params.flagged.length} decisions.`, "invalid-argument");
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  params.positives.forEach((positive, i) => {
    const flagged = params.flagged[i];
    if (positive && flagged) tp += 1;
    else if (positive) fn += 1;
    else if (flagged) fp += 1;
    else tn += 1;
  });
  const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null);
  const tpr = ratio(tp, tp + fn);
  const tnr = ratio(tn, tn + fp);
  return {
    truePositives: tp,
    falsePositives: fp,
    trueNegatives: tn,
    falseNegatives: fn,
    tpr,
    fpr: ratio(fp, fp + tn),
    accuracy: ratio(tp + tn, tp + tn + fp + fn),
    balancedAccuracy: tpr !== null && tnr !== null ? (tpr + tnr) / 2 : null,
    precision: ratio(tp, tp + fp),
  };
}
