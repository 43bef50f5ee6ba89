/**
 * Area under the ROC curve as the Mann-Whitney statistic: the chance that a random fake picture scores higher than a
 * random real one, ties counting one half. Sorted once, then O(n) per call, so the bootstrap can reuse the order.
 */
import { requireBothClasses, type BinaryScores } from "../shared/binary-scores";

/** Parameters of rocAuc: scores and classes, and optionally how many times each picture counts (a bootstrap resample). */
export interface RocAucParams extends BinaryScores {
  weights?: ArrayLike<number>;
}

/** The AUC, from 0 to 1 (0.5 = chance); throws when a class is missing. */
export function rocAuc(params: RocAucParams): number {
  requireBothClasses(params, "The ROC AUC");
  return createAucScorer(params)(params.weights);
}

/**
 * Sorts the scores once and returns a function of per-picture weights (default 1) that gives the AUC; NaN when the
 * weights leave one class empty. Ties are grouped so every fake/real pair with equal scores counts one half.
 */
export function createAucScorer(params: BinaryScores): (weights?: ArrayLike<number>) => number {
  const order = params.scores.map((_, i) => i).sort((a, b) => params.scores[a] - params.scores[b]);
  // Group boundaries: group g spans order[starts[g]] .. order[starts[g + 1] - 1].
  const starts: number[] = [];
  for (let k = 0; k < order.length; k++) if (k === 0 || params.scores[order[k]] !== params.scores[order[k - 1]]) starts.push(k);
  starts.push(order.length);
  const positives = params.positives;
  return (weights) => {
    let below = 0;
    let sum = 0;
    let totalPositive = 0;
    for (let g = 0; g + 1 < starts.length; g++) {
      let positive = 0;
      let negative = 0;
      for (let k = starts[g]; k < starts[g + 1]; k++) {
        const i = order[k];
        const weight = weights ? weights[i] : 1;
        if (positives[i]) positive += weight;
        else negative += weight;
      }
      sum += positive * (below + negative / 2);
      below += negative;
      totalPositive += positive;
    }
    return totalPositive > 0 && below > 0 ? sum / (totalPositive * below) : NaN;
  };
}
