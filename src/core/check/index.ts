/** Public API of check: suspicious videos and images → faces → a fake-probability timeline, a verdict and a report. */
export { checkMedia, type CheckMediaParams } from "./check-media";
export type { CheckedFace, CheckedFrame, CheckedVideo, CheckModel, CheckReportFiles, CheckResult, CheckSummary, FlaggedSegment, MediaCheck, MediaCheckError, TimelineSmoothing, TimeRange, Verdict, WorstMoment } from "./check-types";
export { FfmpegMissingError, MediaReadError, type MediaReadReason } from "../video/video-errors";
export { findFfmpeg, FFMPEG_ENV, FFPROBE_ENV, FFMPEG_SETTING, type FfmpegTools } from "../video/find-ffmpeg";
export { formatTimestamp } from "../video/format-timestamp";
export { probeVideo, type VideoContainer, type VideoInfo } from "../video/probe-video";
export { readVideoFrames, type VideoFrame } from "../video/read-video-frames";
export { resolveFakeLabel, type FakeLabel } from "../shared/resolve-fake-label";
export { renderTimelineSvg } from "./render-timeline-svg";
export { DEFAULT_SMOOTH_SECONDS, smoothTimeline, type SmoothTimelineParams, type TimelineSample } from "./smooth-timeline";
export { findFlaggedSegments, type FindFlaggedSegmentsParams } from "./find-flagged-segments";
export { summariseCheck, type SummariseCheckParams } from "./summarise-check";
export { describeVerdict, type DescribeVerdictParams } from "./describe-verdict";
