/** The check panel's view of a core check, without VS Code (restoring a panel validates a saved report with it). */
import * as path from "node:path";
import type { CheckSummary, MediaCheck } from "../../core/check/check-types";
import type { CheckView } from "../../shared/check-protocol";

/** The panel's view of a core check: only what it draws, with `uriOf` turning file paths into what the webview loads. */
export function checkViewOf(check: MediaCheck, uriOf: (file: string) => string): CheckView {
  const { summary } = check;
  // Reports saved before checks were smoothed lack these; a restored panel shows such a check without them.
  const { smoothing, smoothedPerSecond, flaggedSegments } = summary as Partial<Pick<CheckSummary, "smoothing" | "smoothedPerSecond" | "flaggedSegments">>;
  return {
    fileName: path.basename(check.file),
    kind: check.kind,
    mediaSrc: uriOf(check.file),
    verdict: { level: check.verdict.level, headline: check.verdict.headline, text: check.verdict.text },
    fakeLabel: check.model.fakeLabel,
    threshold: check.threshold,
    ...(check.video ? { fps: check.video.sampledFps } : {}),
    ...(check.video?.durationSeconds !== undefined ? { durationSeconds: check.video.durationSeconds } : {}),
    counts: {
      frames: summary.frames,
      framesWithFaces: summary.framesWithFaces,
      framesWithoutFaces: summary.framesWithoutFaces,
      faces: summary.faces,
      facesAboveThreshold: summary.facesAboveThreshold,
    },
    perSecond: summary.perSecond,
    ...(smoothedPerSecond ? { smoothedPerSecond } : {}),
    ...(smoothing ? { smoothingWindowSeconds: smoothing.windowSeconds } : {}),
    ...(flaggedSegments ? { flaggedSegments: flaggedSegments.map(({ start, end, meanProbability, maxProbability }) => ({ start, end, meanProbability, maxProbability })) } : {}),
    // Read off the threshold, not the moment's own flag, so reports saved before the flag existed say it too.
    worst: summary.worst.flatMap((moment) => (moment.image ? [{ time: moment.time, probability: moment.probability, belowThreshold: moment.probability < check.threshold, src: uriOf(moment.image) }] : [])),
    noFaceRanges: summary.noFaceRanges,
    warnings: check.warnings,
  };
}
