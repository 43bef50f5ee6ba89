/**
 * The verdict in words that never claim more than a screening model can know: "likely manipulated by this model's
 * standards", always with the model's own validation error, never "fake" or "genuine" as a fact. A video is judged
 * on its flagged segments (the smoothed signal, see smooth-timeline.ts), not on its single highest frame; a still
 * has only its faces.
 */
import type { CheckSummary, Verdict } from "./check-types";
import { formatTimestamp } from "../video/format-timestamp";

/** Parameters of describeVerdict. */
export interface DescribeVerdictParams {
  summary: CheckSummary;
  threshold: number;
  fakeLabel: string;
  /** From export/metrics.json; undefined when the export has none. */
  validationErrorRate?: number;
  validImages?: number;
  /** Still images have no timestamps to quote, and no timeline to smooth. */
  kind: "video" | "image";
}

/** At least this share (of a video's frames with a face inside flagged segments, of a still's faces) reads as "likely manipulated". */
const LIKELY_SHARE = 0.5;
/** Segments quoted in the sentence (the longest); the report lists them all. */
const QUOTED_SEGMENTS = 3;

const HEADLINES: Record<Verdict["level"], string> = {
  "likely-manipulated": "Likely manipulated by this model's standards",
  "some-moments-flagged": "Some moments flagged by this model's standards",
  "not-flagged": "Not flagged by this model's standards",
  "no-faces": "No faces found: not judged",
};
/** A still has faces, not moments. */
const SOME_FACES_FLAGGED = "Some faces flagged by this model's standards";

/** Picks the level and writes its sentence, which always opens with the headline (report.md bolds it there rather than repeat it). */
export function describeVerdict(params: DescribeVerdictParams): Verdict {
  const { summary, kind } = params;
  if (summary.faces === 0) {
    const what = kind === "image" ? "the image" : `${summary.frames} sampled frame(s)`;
    return verdict("no-faces", `${HEADLINES["no-faces"]}. The detector found none in ${what}, and this model only scores faces, so it could not judge ${kind === "image" ? "it" : "the video"}.`);
  }
  return kind === "video" ? describeVideo(params) : describeImage(params);
}

/** A video: flagged when its smoothed signal stays above the threshold somewhere; likely when that covers half its faced frames. */
function describeVideo(params: DescribeVerdictParams): Verdict {
  const { summary, threshold, fakeLabel } = params;
  const caveat = caveatOf(params.validationErrorRate, params.validImages);
  const segments = summary.flaggedSegments;
  const smoothed = summary.smoothing.windowSeconds > 0 ? `, smoothed over ${summary.smoothing.windowSeconds} s,` : "";
  const worst = summary.worst[0];
  const highest = worst ? `the highest single frame ${percent(worst.probability)} at ${formatTimestamp(worst.time)}` : `the highest single frame ${percent(summary.maxProbability ?? 0)}`;
  if (segments.length === 0) {
    const notProof = `That is not proof it is genuine: ${caveat}, and it only knows the kinds of manipulation in its training data.`;
    if (summary.facesAboveThreshold === 0) return verdict("not-flagged", `Not flagged by this model's standards: no face scored ${percent(threshold)} "${fakeLabel}" or more (highest ${percent(summary.maxProbability ?? 0)}). ${notProof}`);
    return verdict("not-flagged", `Not flagged by this model's standards: the fake probability${smoothed} never stays at or above ${percent(threshold)} "${fakeLabel}"; ${summary.facesAboveThreshold} single face(s) reach it (${highest}), as genuine footage also does. ${notProof}`);
  }
  const flaggedFrames = segments.reduce((sum, segment) => sum + segment.frames, 0);
  const share = summary.framesWithFaces > 0 ? flaggedFrames / summary.framesWithFaces : 0;
  // The longest segments are the ones worth quoting; in time order, as a person scrubs the video.
  const quoted = [...segments].sort((a, b) => b.frames - a.frames || a.start - b.start).slice(0, QUOTED_SEGMENTS).sort((a, b) => a.start - b.start);
  const where = quoted.map((segment) => formatTimestamp(segment.start) + (segment.end > segment.start ? `–${formatTimestamp(segment.end)}` : "")).join(", ");
  const found = `the fake probability${smoothed} stays at or above ${percent(threshold)} "${fakeLabel}" in ${segments.length} segment(s) (${where}${segments.length > QUOTED_SEGMENTS ? ", …" : ""}), ${flaggedFrames} of ${summary.framesWithFaces} frames with a face (${percent(share)}); ${highest}`;
  if (share >= LIKELY_SHARE) return verdict("likely-manipulated", `Likely manipulated by this model's standards: ${found}. ${capitalise(caveat)}, so treat this as a reason to verify through another channel (call back on a known number), not as proof.`);
  return verdict("some-moments-flagged", `${HEADLINES["some-moments-flagged"]}: ${found}. Look at the worst frames: ${caveat}, so short flagged stretches also happen on genuine footage.`);
}

/** A still: judged on the share of its faces at or above the threshold. */
function describeImage(params: DescribeVerdictParams): Verdict {
  const { summary, threshold, fakeLabel } = params;
  const caveat = caveatOf(params.validationErrorRate, params.validImages);
  const counted = `${summary.facesAboveThreshold} of ${summary.faces} face(s) score${summary.faces === 1 ? "s" : ""} at least ${percent(threshold)} "${fakeLabel}"`;
  const worst = summary.worst[0];
  const at = worst ? `, the highest ${percent(worst.probability)}` : "";
  if (summary.facesAboveThreshold === 0) {
    return verdict("not-flagged", `Not flagged by this model's standards: no face scored ${percent(threshold)} "${fakeLabel}" or more (highest ${percent(summary.maxProbability ?? 0)}). That is not proof it is genuine: ${caveat}, and it only knows the kinds of manipulation in its training data.`);
  }
  if ((summary.shareAboveThreshold ?? 0) >= LIKELY_SHARE) return verdict("likely-manipulated", `Likely manipulated by this model's standards: ${counted}${at}. ${capitalise(caveat)}, so treat this as a reason to verify through another channel (call back on a known number), not as proof.`);
  return { level: "some-moments-flagged", headline: SOME_FACES_FLAGGED, text: `${SOME_FACES_FLAGGED}: ${counted}${at}. Look at the worst faces: ${caveat}, so isolated high scores also happen on genuine pictures.` };
}

function verdict(level: Verdict["level"], text: string): Verdict {
  return { level, headline: HEADLINES[level], text };
}

/** "the model misclassifies 25% of its 52 validation images" — or that the rate is unknown. */
function caveatOf(errorRate: number | undefined, validImages: number | undefined): string {
  if (errorRate === undefined) return "the model's validation error is unknown (its export has no metrics.json)";
  const of = validImages !== undefined ? ` of its ${validImages} validation images` : " of its validation images";
  return `the model misclassifies ${(errorRate * 100).toFixed(errorRate < 0.1 ? 1 : 0)}%${of} (export/metrics.json)`;
}

function percent(value: number): string {
  return `${Math.round(value * 100)}%`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
