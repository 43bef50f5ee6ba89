/** The ROC curve: the false- and true-positive rate when "score ≥ threshold" flags a picture, for every distinct score. */
import { requireBothClasses, type BinaryScores } from "../shared/binary-scores";

/** One point; `threshold` null is the start, where nothing is flagged. */
export interface RocPoint {
  threshold: number | null;
  fpr: number;
  tpr: number;
}

/** Points from (0, 0) to (1, 1), thresholds descending; tied scores make one point (a diagonal step). */
export function rocCurve(params: BinaryScores): RocPoint[] {
  const counts = requireBothClasses(params, "A ROC curve");
  const order = params.scores.map((_, i) => i).sort((a, b) => params.scores[b] - params.scores[a]);
  const points: RocPoint[] = [{ threshold: null, fpr: 0, tpr: 0 }];
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k];
    if (params.positives[i]) tp += 1;
    else fp += 1;
    const next = order[k + 1];
    if (next === undefined || params.scores[next] !== params.scores[i]) points.push({ threshold: params.scores[i], fpr: fp / counts.negatives, tpr: tp / counts.positives });
  }
  return points;
}
