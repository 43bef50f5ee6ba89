/**
 * Which label a picture gets: the most probable one, or, when the export records a decision threshold for the fake
 * label, the fake label as soon as its probability reaches the threshold (else the most probable of the others).
 */
import type { DecisionThreshold } from "../export/export-format";

/** Parameters of decideLabel. */
export interface DecideLabelParams {
  labels: readonly string[];
  /** One probability per label, labels.json order. */
  probabilities: ArrayLike<number>;
  /** The export's decision threshold; absent: arg-max (the first label on a tie). */
  decision?: Pick<DecisionThreshold, "label" | "threshold">;
}

/** The index of the decided label. */
export function decideLabel(params: DecideLabelParams): number {
  const { labels, probabilities, decision } = params;
  const fake = decision ? labels.indexOf(decision.label) : -1;
  if (!decision || fake < 0) return argMax(probabilities, labels.length, -1);
  return probabilities[fake] >= decision.threshold ? fake : argMax(probabilities, labels.length, fake);
}

/** The most probable label other than `skip` (the first one on a tie). */
function argMax(probabilities: ArrayLike<number>, count: number, skip: number): number {
  let best = -1;
  for (let i = 0; i < count; i++) if (i !== skip && (best < 0 || probabilities[i] > probabilities[best])) best = i;
  return best;
}
