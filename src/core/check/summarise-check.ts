/**
 * Turns the scored frames into the summary a person reads first: counts, the share above the threshold, gaps, per
 * second, and the smoothed signal with the segments flagged on it.
 */
import type { CheckedFrame, CheckSummary, TimeRange, WorstMoment } from "./check-types";
import { findFlaggedSegments } from "./find-flagged-segments";
import { DEFAULT_SMOOTH_SECONDS, smoothTimeline, type TimelineSample } from "./smooth-timeline";

/** Parameters of summariseCheck. */
export interface SummariseCheckParams {
  frames: readonly CheckedFrame[];
  threshold: number;
  /** The worst moments already chosen while streaming (createWorstMoments), highest first. */
  worst: WorstMoment[];
  /** Width of the centred median window in seconds (default 3; 0 = off). */
  smoothSeconds?: number;
}

/** A stretch this long without a face is a missed detection and is bridged; a longer one is a cut and is not. */
const BRIDGED_NO_FACE_SECONDS = 1;

/** Computes the summary; pure, so the CLI, the report and the VS Code panel agree. */
export function summariseCheck(params: SummariseCheckParams): CheckSummary {
  const { frames, threshold } = params;
  const probabilities = frames.flatMap((frame) => frame.faces.map((face) => face.probability));
  const above = probabilities.filter((p) => p >= threshold).length;
  const framesWithFaces = frames.filter((frame) => frame.faces.length > 0).length;
  const raw: TimelineSample[] = frames.map((frame) => ({ time: frame.time, value: frame.faces.length > 0 ? frame.faces.reduce((max, face) => Math.max(max, face.probability), 0) : null }));
  const smoothing = { method: "median" as const, windowSeconds: params.smoothSeconds ?? DEFAULT_SMOOTH_SECONDS, maxGapSeconds: round(samplingStep(frames) + BRIDGED_NO_FACE_SECONDS) };
  const values = smoothTimeline({ samples: raw, windowSeconds: smoothing.windowSeconds, maxGapSeconds: smoothing.maxGapSeconds });
  const smoothed = raw.map((sample, i) => ({ time: sample.time, value: values[i] }));
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
    perSecond: perSecond(raw),
    smoothing,
    smoothedFrames: smoothed.map(({ time, value }) => ({ time, probability: value })),
    smoothedPerSecond: perSecond(smoothed),
    flaggedSegments: findFlaggedSegments({ samples: smoothed, threshold, maxGapSeconds: smoothing.maxGapSeconds }),
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

/** Highest value in each whole second; seconds with no measured sample are null. */
function perSecond(samples: readonly TimelineSample[]): CheckSummary["perSecond"] {
  if (samples.length === 0) return [];
  // reduce, not Math.max(...): an hour at 2 fps is 7200 frames, and spreading long arrays can overflow the stack.
  const last = Math.floor(samples.reduce((max, sample) => Math.max(max, sample.time), 0));
  const seconds: CheckSummary["perSecond"] = Array.from({ length: last + 1 }, (_, second) => ({ second, probability: null }));
  for (const { time, value } of samples) {
    const slot = seconds[Math.floor(time)];
    if (value !== null) slot.probability = Math.max(slot.probability ?? 0, value);
  }
  return seconds;
}

/** The time between sampled frames (1 / fps), read off the frames: the shortest step, as a frame that never finished leaves a longer one. */
function samplingStep(frames: readonly CheckedFrame[]): number {
  let step = Number.POSITIVE_INFINITY;
  for (let i = 1; i < frames.length; i++) if (frames[i].time > frames[i - 1].time) step = Math.min(step, frames[i].time - frames[i - 1].time);
  return Number.isFinite(step) ? step : 0;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
