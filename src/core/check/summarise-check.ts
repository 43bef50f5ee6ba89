/** Turns the scored frames into the summary a person reads first: counts, the share above the threshold, gaps, per second. */
import type { CheckedFrame, CheckSummary, TimeRange, WorstMoment } from "./check-types";

/** Parameters of summariseCheck. */
export interface SummariseCheckParams {
  frames: readonly CheckedFrame[];
  threshold: number;
  /** The worst moments already chosen while streaming (createWorstMoments), highest first. */
  worst: WorstMoment[];
}

/** Computes the summary; pure, so the CLI, the report and the VS Code panel agree. */
export function summariseCheck(params: SummariseCheckParams): CheckSummary {
  const { frames, threshold } = params;
  const probabilities = frames.flatMap((frame) => frame.faces.map((face) => face.probability));
  const above = probabilities.filter((p) => p >= threshold).length;
  const framesWithFaces = frames.filter((frame) => frame.faces.length > 0).length;
  return {
    frames: frames.length,
    framesWithFaces,
    framesWithoutFaces: frames.length - framesWithFaces,
    noFaceRanges: noFaceRanges(frames),
    faces: probabilities.length,
    facesAboveThreshold: above,
    shareAboveThreshold: probabilities.length > 0 ? above / probabilities.length : null,
    meanProbability: probabilities.length > 0 ? probabilities.reduce((sum, p) => sum + p, 0) / probabilities.length : null,
    maxProbability: probabilities.length > 0 ? probabilities.reduce((max, p) => Math.max(max, p), 0) : null,
    worst: params.worst,
    perSecond: perSecond(frames),
  };
}

/** Consecutive frames without a face, merged into ranges. */
function noFaceRanges(frames: readonly CheckedFrame[]): TimeRange[] {
  const ranges: TimeRange[] = [];
  let open: TimeRange | undefined;
  for (const frame of frames) {
    if (frame.faces.length === 0) {
      if (open) {
        open.end = frame.time;
        open.frames += 1;
      } else {
        open = { start: frame.time, end: frame.time, frames: 1 };
        ranges.push(open);
      }
    } else {
      open = undefined;
    }
  }
  return ranges;
}

/** Highest face probability in each whole second; seconds whose frames had no face are null. */
function perSecond(frames: readonly CheckedFrame[]): CheckSummary["perSecond"] {
  if (frames.length === 0) return [];
  // reduce, not Math.max(...): an hour at 2 fps is 7200 frames, and spreading long arrays can overflow the stack.
  const last = Math.floor(frames.reduce((max, frame) => Math.max(max, frame.time), 0));
  const seconds: CheckSummary["perSecond"] = Array.from({ length: last + 1 }, (_, second) => ({ second, probability: null }));
  for (const frame of frames) {
    const slot = seconds[Math.floor(frame.time)];
    for (const face of frame.faces) slot.probability = Math.max(slot.probability ?? 0, face.probability);
  }
  return seconds;
}
