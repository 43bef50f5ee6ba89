/**
 * Calibration of the fake probability: pictures binned by score (equal-width bins over 0-1), each bin's mean score
 * against its share of fakes, and the expected calibration error ECE = Σ (bin size / N) · |share of fakes − mean score|.
 */
import { StudioError } from "../shared/errors";
import { countClasses, type BinaryScores } from "../shared/binary-scores";

/** Parameters of calibration. */
export interface CalibrationParams extends BinaryScores {
  /** Number of equal-width bins (default 10). */
  bins?: number;
}

/** One bin [from, to) (the last includes 1); mean and share are null when the bin is empty. */
export interface CalibrationBin {
  from: number;
  to: number;
  count: number;
  meanScore: number | null;
  fractionFake: number | null;
}

export interface Calibration {
  bins: CalibrationBin[];
  /** Expected calibration error, 0 = perfectly calibrated. */
  ece: number;
  /** Largest gap of any non-empty bin. */
  maxGap: number;
}

export const DEFAULT_CALIBRATION_BINS = 10;

export function calibration(params: CalibrationParams): Calibration {
  const binCount = params.bins ?? DEFAULT_CALIBRATION_BINS;
  if (!Number.isInteger(binCount) || binCount < 1 || binCount > 1000) throw new StudioError(`bins must be a whole number from 1 to 1000, got ${binCount}.`, "invalid-argument");
  countClasses(params);
  const sums = Array.from({ length: binCount }, () => ({ count: 0, score: 0, fake: 0 }));
  params.scores.forEach((score, i) => {
    const bin = sums[Math.min(binCount - 1, Math.floor(score * binCount))];
    bin.count += 1;
    bin.score += score;
    if (params.positives[i]) bin.fake += 1;
  });
  const total = params.scores.length;
  let ece = 0;
  let maxGap = 0;
  const bins = sums.map((sum, b): CalibrationBin => {
    const from = b / binCount;
    const to = (b + 1) / binCount;
    if (sum.count === 0) return { from, to, count: 0, meanScore: null, fractionFake: null };
    const meanScore = sum.score / sum.count;
    const fractionFake = sum.fake / sum.count;
    const gap = Math.abs(fractionFake - meanScore);
    ece += (sum.count / total) * gap;
    maxGap = Math.max(maxGap, gap);
    return { from, to, count: sum.count, meanScore, fractionFake };
  });
  return { bins, ece, maxGap };
}
