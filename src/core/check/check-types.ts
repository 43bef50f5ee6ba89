/** The result of checking one video or image: what --json prints, report.json holds and the VS Code panel shows. */
import type { FaceBox, FacePoint } from "../face-nets/detect-faces";
import type { FaceDetectorKind } from "../face-crop/detect-frame-faces";
import type { HintPart } from "../shared/hint";
import type { VideoContainer } from "../video/probe-video";

/** One face in one frame, scored by the model. */
export interface CheckedFace {
  /** The detector's box, frame pixels. */
  box: FaceBox;
  /** The detector's confidence, 0-1. */
  detectorScore: number;
  /** The square cut out for the model (training framing), frame pixels. */
  crop: { centre: FacePoint; side: number };
  /** Probability of the fake label, 0-1. */
  probability: number;
  /** Every label's probability. */
  probabilities: Record<string, number>;
}

/** One sampled frame; `faces` is empty when no face was found (such frames are counted and listed, not dropped). */
export interface CheckedFrame {
  index: number;
  /** Seconds from the start. */
  time: number;
  faces: CheckedFace[];
}

/** A stretch of frames with no face: first and last frame time. */
export interface TimeRange {
  start: number;
  end: number;
  frames: number;
}

/** How the per-frame signal (the worst face's probability in each sampled frame) was smoothed; see smooth-timeline.ts. */
export interface TimelineSmoothing {
  method: "median";
  /** Full width of the centred window, seconds; 0 = off (segments and verdict then read single frames). */
  windowSeconds: number;
  /** Frames with a face further apart than this are never smoothed or joined into one segment across the gap. */
  maxGapSeconds: number;
}

/** A stretch where the smoothed fake probability stays at or above the threshold. */
export interface FlaggedSegment {
  /** Times of its first and last sampled frame, seconds (equal for a one-frame segment). */
  start: number;
  end: number;
  /** Sampled frames with a face in it. */
  frames: number;
  /** Highest and mean smoothed probability over those frames. */
  maxProbability: number;
  meanProbability: number;
}

/** One of the worst moments: the frame, its worst face, and the report picture. */
export interface WorstMoment {
  time: number;
  frameIndex: number;
  /** Index in the frame's faces (left to right). */
  faceIndex: number;
  probability: number;
  /**
   * The probability is under the threshold: the moment is listed because nothing scored higher, not because it was
   * flagged. The CLI, report.md and the panel say so beside it.
   */
  belowThreshold: boolean;
  box: FaceBox;
  /** The annotated JPEG in the report folder, when a report was written. */
  image?: string;
  /** The worst face as the model saw it beside its activation map (the fake label's), when a report was written for an export with maps. */
  whereItLooked?: { image: string; faceShare?: number };
}

/** The numbers a person reads first. */
export interface CheckSummary {
  frames: number;
  framesWithFaces: number;
  framesWithoutFaces: number;
  noFaceRanges: TimeRange[];
  faces: number;
  facesAboveThreshold: number;
  /** facesAboveThreshold / faces; null when no face was found. */
  shareAboveThreshold: number | null;
  meanProbability: number | null;
  maxProbability: number | null;
  /** Highest first. */
  worst: WorstMoment[];
  /** The timeline by second: the highest fake probability of any face in that second, null where no face was seen. */
  perSecond: Array<{ second: number; probability: number | null }>;
  /** How the signal below was smoothed (videos; a still's window is 0). */
  smoothing: TimelineSmoothing;
  /** The smoothed signal per sampled frame, in frame order: the worst face's probability, smoothed; null where the frame had no face. */
  smoothedFrames: Array<{ time: number; probability: number | null }>;
  /** As perSecond, of the smoothed signal: the highest smoothed value in each second, null where no face was seen. */
  smoothedPerSecond: Array<{ second: number; probability: number | null }>;
  /** Where the smoothed signal stays at or above the threshold, in time order; a video's verdict rests on these. */
  flaggedSegments: FlaggedSegment[];
}

/** How the check reads, in words that do not claim more than the model can know. */
export interface Verdict {
  level: "likely-manipulated" | "some-moments-flagged" | "not-flagged" | "no-faces";
  /** One headline, e.g. "Likely manipulated by this model's standards". */
  headline: string;
  /** The headline with its numbers and the model's validation error. */
  text: string;
}

/** The model the check used. */
export interface CheckModel {
  dir: string;
  labels: string[];
  fakeLabel: string;
  fakeLabelReason: "given" | "contains-fake" | "second-label";
  /** Where the threshold came from: --threshold, the export's decision threshold, or the 0.5 default. */
  thresholdSource?: "given" | "export" | "default";
  /** From export/metrics.json; absent when the export has none. */
  validationErrorRate?: number;
  validImages?: number;
  runId?: string;
}

/** The video's facts and how it was sampled. */
export interface CheckedVideo {
  container: VideoContainer;
  codec: string;
  width: number;
  height: number;
  durationSeconds?: number;
  frameRate?: number;
  /** Sampled frames per second. */
  sampledFps: number;
  /** Size the frames were analysed at. */
  frameWidth: number;
  frameHeight: number;
}

/** Files of a written report, absolute paths. */
export interface CheckReportFiles {
  dir: string;
  json: string;
  markdown: string;
  timelineSvg?: string;
  timelinePng?: string;
  worstFrames: string[];
}

/** A checked file. */
export interface MediaCheck {
  file: string;
  kind: "video" | "image";
  video?: CheckedVideo;
  model: CheckModel;
  detector: FaceDetectorKind;
  /** Detections below this detector score were not taken for faces (nor were those whose landmarks are not laid out like a face). */
  minFaceScore: number;
  threshold: number;
  /** Crop side as a multiple of the landmarks' box. */
  margin: number;
  /** Whether each face was scored as the mean of a plain and a mirrored view (test-time augmentation). */
  tta: boolean;
  frames: CheckedFrame[];
  summary: CheckSummary;
  verdict: Verdict;
  /** Damage read past, faces missed on a still, …: shown with the summary. */
  warnings: string[];
  report?: CheckReportFiles;
  /** Wall-clock seconds of the check. */
  seconds: number;
}

/** A file that could not be checked, with the reason. */
export interface MediaCheckError {
  file: string;
  error: string;
  code: string;
  hint?: string;
  /** The hint's parts when it names steps or flags (StudioError.hintParts), for a front end that words them itself. */
  hintParts?: HintPart[];
}

export type CheckResult = MediaCheck | MediaCheckError;
