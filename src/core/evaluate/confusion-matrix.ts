/** The 2×2 confusion matrix of fake vs real and the rates read from it. */
import { StudioError } from "../shared/errors";
import type { Confusion } from "./confusion-types";

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
