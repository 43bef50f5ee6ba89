/** Public API of check: suspicious videos and images → faces → a fake-probability timeline, a verdict and a report. */
export { checkMedia, type CheckMediaParams } from "./check-media";
export type { CheckedFace, CheckedFrame, CheckedVideo, CheckModel, CheckReportFiles, CheckResult, CheckSummary, MediaCheck, MediaCheckError, TimeRange, Verdict, WorstMoment } from "./check-types";
export { FfmpegMissingError, MediaReadError, type MediaReadReason } from "./check-errors";
export { cropTrainingFace, TRAINING_CROP_SIZE, TRAINING_MARGIN, type TrainingCrop } from "../face-crop/crop-training-face";
export { detectFrameFaces, type FaceDetectorKind } from "../face-crop/detect-frame-faces";
export { findFfmpeg, FFMPEG_ENV, FFPROBE_ENV, type FfmpegTools } from "./find-ffmpeg";
export { formatTimestamp } from "./format-timestamp";
export { probeVideo, type VideoContainer, type VideoInfo } from "./probe-video";
export { readVideoFrames, type VideoFrame } from "./read-video-frames";
export { resolveFakeLabel, type FakeLabel } from "./resolve-fake-label";
export { renderTimelineSvg } from "./render-timeline-svg";
