/**
 * A confidence interval for the ROC AUC by the stratified percentile bootstrap: each resample draws as many fake
 * pictures (with replacement) from the fake ones and as many real ones from the real ones as there are, so every
 * resample has both classes; the interval is the middle `level` of the resampled AUCs. Seeded: same data, same seed,
 * same interval.
 */
import { createSeededRandom } from "../shared/seeded-random";
import { StudioError, throwIfAborted } from "../shared/errors";
import type { OperationOptions } from "../shared/progress";
import { requireBothClasses, type BinaryScores } from "../shared/binary-scores";
import { createAucScorer } from "./roc-auc";

/** Parameters of bootstrapAucInterval. */
export interface BootstrapIntervalParams extends BinaryScores, OperationOptions {
  /** Resamples (default 2000). */
  resamples?: number;
  /** Seed of the resampling (default 1). */
  seed?: number;
  /** Coverage (default 0.95). */
  level?: number;
}

/** The interval and how it was made. */
export interface BootstrapInterval {
  low: number;
  high: number;
  level: number;
  resamples: number;
  seed: number;
  method: "stratified percentile bootstrap";
}

export const DEFAULT_BOOTSTRAP = { resamples: 2000, seed: 1, level: 0.95 } as const;

/** The interval; throws when a class is missing or the settings are out of range. */
export function bootstrapAucInterval(params: BootstrapIntervalParams): BootstrapInterval {
  const resamples = params.resamples ?? DEFAULT_BOOTSTRAP.resamples;
  const seed = params.seed ?? DEFAULT_BOOTSTRAP.seed;
  const level = params.level ?? DEFAULT_BOOTSTRAP.level;
  if (!Number.isInteger(resamples) || resamples < 10 || resamples > 1_000_000) throw new StudioError(`resamples must be a whole number from 10 to 1000000, got ${resamples}.`, "invalid-argument", "2000 resamples give a stable 95% interval.");
  if (!(level > 0 && level < 1)) throw new StudioError(`level must be between 0 and 1, got ${level}.`, "invalid-argument");
  requireBothClasses(params, "A bootstrap interval of the AUC");
  const positives: number[] = [];
  const negatives: number[] = [];
  params.positives.forEach((positive, i) => (positive ? positives : negatives).push(i));
  const score = createAucScorer(params);
  const random = createSeededRandom(seed);
  const weights = new Float64Array(params.scores.length);
  const aucs = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    if (r % 100 === 0) {
      throwIfAborted(params.signal, "evaluation");
      params.onProgress?.({ event: "progress", phase: "bootstrap", done: r, total: resamples });
    }
    weights.fill(0);
    for (const stratum of [positives, negatives]) for (let k = 0; k < stratum.length; k++) weights[stratum[random.int(stratum.length)]] += 1;
    aucs[r] = score(weights);
  }
  params.onProgress?.({ event: "progress", phase: "bootstrap", done: resamples, total: resamples });
  aucs.sort();
  const tail = (1 - level) / 2;
  return { low: quantile(aucs, tail), high: quantile(aucs, 1 - tail), level, resamples, seed, method: "stratified percentile bootstrap" };
}

/** Linear interpolation between order statistics (type 7, as numpy's default). */
function quantile(sorted: Float64Array, q: number): number {
  const at = q * (sorted.length - 1);
  const below = Math.floor(at);
  const above = Math.min(sorted.length - 1, below + 1);
  return sorted[below] + (sorted[above] - sorted[below]) * (at - below);
}
