/** Reads the flagged segments off a smoothed timeline: where it stays at or above the threshold, start to end. */
import type { FlaggedSegment } from "./check-types";
import type { TimelineSample } from "./smooth-timeline";

/** Parameters of findFlaggedSegments. */
export interface FindFlaggedSegmentsParams {
  /** The smoothed signal, in time order; null where no face was seen. */
  samples: readonly TimelineSample[];
  threshold: number;
  /** As smoothTimeline's: a longer stretch without a face ends a segment; a shorter one (a missed detection) does not. */
  maxGapSeconds: number;
}

/** Consecutive measured samples at or above the threshold, in time order. */
export function findFlaggedSegments(params: FindFlaggedSegmentsParams): FlaggedSegment[] {
  const segments: Array<FlaggedSegment & { sum: number }> = [];
  let open: (FlaggedSegment & { sum: number }) | undefined;
  let previousTime: number | undefined;
  for (const { time, value } of params.samples) {
    if (value === null) continue;
    if (previousTime !== undefined && time - previousTime > params.maxGapSeconds + 1e-6) open = undefined;
    previousTime = time;
    if (value < params.threshold) {
      open = undefined;
    } else if (open) {
      Object.assign(open, { end: time, frames: open.frames + 1, maxProbability: Math.max(open.maxProbability, value), sum: open.sum + value });
    } else {
      open = { start: time, end: time, frames: 1, maxProbability: value, meanProbability: value, sum: value };
      segments.push(open);
    }
  }
  return segments.map(({ sum, ...segment }) => ({ ...segment, meanProbability: sum / segment.frames }));
}
