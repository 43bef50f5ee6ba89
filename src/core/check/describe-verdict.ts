/**
 * The verdict in words that never claim more than a screening model can know: "likely manipulated by this model's
 * standards", always with the model's own validation error, never "fake" or "genuine" as a fact.
 */
import type { CheckSummary, Verdict } from "./check-types";
import { formatTimestamp } from "./format-timestamp";

/** Parameters of describeVerdict. */
export interface DescribeVerdictParams {
  summary: CheckSummary;
  threshold: number;
  fakeLabel: string;
  /** From export/metrics.json; undefined when the export has none. */
  validationErrorRate?: number;
  validImages?: number;
  /** Still images have no timestamps to quote. */
  kind: "video" | "image";
}

/** At least this share of faces above the threshold reads as "likely manipulated"; fewer, as some flagged moments. */
const LIKELY_SHARE = 0.5;

/** Picks the level and writes its sentence. */
export function describeVerdict(params: DescribeVerdictParams): Verdict {
  const { summary, threshold, fakeLabel, kind } = params;
  const caveat = caveatOf(params.validationErrorRate, params.validImages);
  if (summary.faces === 0) {
    const what = kind === "image" ? "the image" : `${summary.frames} sampled frame(s)`;
    return { level: "no-faces", headline: "No faces found: not judged", text: `No faces were found in ${what}, so this model could not judge ${kind === "image" ? "it" : "the video"}. It only scores faces.` };
  }
  const percent = (value: number): string => `${Math.round(value * 100)}%`;
  const share = summary.shareAboveThreshold ?? 0;
  const counted = kind === "image"
    ? `${summary.facesAboveThreshold} of ${summary.faces} face(s) score${summary.faces === 1 ? "s" : ""} at least ${percent(threshold)} "${fakeLabel}"`
    : `${summary.facesAboveThreshold} of ${summary.faces} face(s) (${percent(share)}) score at least ${percent(threshold)} "${fakeLabel}"`;
  const worst = summary.worst[0];
  const at = worst && kind === "video" ? `, the highest ${percent(worst.probability)} at ${formatTimestamp(worst.time)}` : worst ? `, the highest ${percent(worst.probability)}` : "";
  if (summary.facesAboveThreshold === 0) {
    return {
      level: "not-flagged",
      headline: "Not flagged by this model's standards",
      text: `Not flagged by this model's standards: no face scored ${percent(threshold)} "${fakeLabel}" or more (highest ${percent(summary.maxProbability ?? 0)}). That is not proof it is genuine: ${caveat}, and it only knows the kinds of manipulation in its training data.`,
    };
  }
  if (share >= LIKELY_SHARE) {
    return {
      level: "likely-manipulated",
      headline: "Likely manipulated by this model's standards",
      text: `Likely manipulated by this model's standards: ${counted}${at}. ${capitalise(caveat)}, so treat this as a reason to verify through another channel (call back on a known number), not as proof.`,
    };
  }
  return {
    level: "some-moments-flagged",
    headline: "Some moments flagged by this model's standards",
    text: `Some moments look manipulated by this model's standards: ${counted}${at}. Look at the worst frames: ${caveat}, so isolated high scores also happen on genuine footage.`,
  };
}

/** "the model misclassifies 25% of its 52 validation images" — or that the rate is unknown. */
function caveatOf(errorRate: number | undefined, validImages: number | undefined): string {
  if (errorRate === undefined) return "the model's validation error is unknown (its export has no metrics.json)";
  const of = validImages !== undefined ? ` of its ${validImages} validation images` : " of its validation images";
  return `the model misclassifies ${(errorRate * 100).toFixed(errorRate < 0.1 ? 1 : 0)}%${of} (export/metrics.json)`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
