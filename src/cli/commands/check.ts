/** `deepfake-studio check <video|image>…`: frames → faces → a fake-probability timeline, a verdict and a report folder. */
import { InvalidArgumentError, type Command } from "commander";
import * as path from "node:path";
import { checkMedia } from "../../core/check/check-media";
import type { CheckResult, MediaCheck, MediaCheckError } from "../../core/check/check-types";
import type { FaceDetectorKind } from "../../core/face-crop/detect-frame-faces";
import { formatTimestamp } from "../../core/video/format-timestamp";
import { DEFAULT_SMOOTH_SECONDS } from "../../core/check/smooth-timeline";
import { DEFAULT_EXPORT_FOLDER } from "../../core/export/export-model";
import { StudioError } from "../../core/shared/errors";
import { cliContext } from "../cli-context";
import { parseNumber, printProgress } from "../output";
import { projectDirOf } from "./context";
import { readProjectFakeLabel } from "../../core/project/read-project-fake-label";

/** Options of `check`. */
interface CheckOptions {
  fps: number;
  json?: boolean;
  model?: string;
  out?: string;
  report: boolean;
  threshold?: number;
  fakeLabel?: string;
  detector: FaceDetectorKind;
  minFaceScore: number;
  margin?: number;
  maxSide: number;
  tta: boolean;
  smooth: number;
}

/** Default report folder, inside the project folder. */
const DEFAULT_REPORT_FOLDER = "check-report";

/** Adds `check <inputs...>`. */
export function registerCheckCommand(program: Command): void {
  program
    .command("check <inputs...>")
    .description("check videos (MP4, MOV, WebM, MKV; needs ffmpeg), images (JPEG, PNG) and the videos and images in folders for face swaps with an export: frames sampled with ffmpeg, faces found and cropped as in training, scored; prints a summary and writes a report folder per input (worst frames, timeline chart). Exit code 0 when at least one input was checked, 1 when none was")
    .option("--fps <n>", "video frames sampled per second", parseNumber, 2)
    .option("--json", "print the full results as JSON (unreadable inputs: {file, error, code, hint})")
    .option("-m, --model <folder>", `the export folder (default: ${DEFAULT_EXPORT_FOLDER}/ in the project)`)
    .option("-o, --out <folder>", `report folder; each input gets <folder>/<file name>/ (default: ${DEFAULT_REPORT_FOLDER}/ in the project; never inside the project's data, runs, export or Space folders)`)
    .option("--no-report", "do not write report folders")
    .option("--threshold <p>", "a face at or above this fake probability counts as flagged (default: the export's decision threshold, see export --threshold; else 0.5)", parseNumber)
    .option("--fake-label <label>", 'the label that means manipulated (default: the export\'s decision label, else fakeLabel in the project file, else the one containing "fake", else the second)')
    .option("--detector <kind>", "face detector: fast (Tiny Face Detector, for video) or accurate (SSD MobileNet, as the training crops; ~10x slower)", parseDetector, "fast" as FaceDetectorKind)
    .option("--min-face-score <p>", "detections the detector scores lower are not faces (those whose landmarks are not laid out like a face never are)", parseNumber, 0.5)
    .option("--margin <m>", "face crop side as a multiple of the landmarks' box (default 1.55, as the reference training crops)", parseNumber)
    .option("--max-side <px>", "longest side video frames are analysed at", parseNumber, 640)
    .option("--no-tta", "score one centre crop per face instead of the mean of a plain and a mirrored view (faster, noisier)")
    .option("--smooth <seconds>", "width of the centred moving median over the per-frame fake probability that the flagged segments and the verdict read, so one spiking frame is not a finding (0 = off: single frames)", parseNumber, DEFAULT_SMOOTH_SECONDS)
    .action(async (inputs: string[], options: CheckOptions, command: Command) => {
      const projectDir = projectDirOf(command);
      const modelDir = options.model === undefined ? path.join(projectDir, DEFAULT_EXPORT_FOLDER) : path.resolve(options.model);
      const outDir = !options.report ? undefined : options.out === undefined ? path.join(projectDir, DEFAULT_REPORT_FOLDER) : path.resolve(options.out);
      // Progress goes to stderr, so `--json` output on stdout stays parseable.
      const results = await checkMedia({
        inputs,
        projectDir,
        modelDir,
        outDir,
        fps: options.fps,
        threshold: options.threshold,
        fakeLabel: options.fakeLabel,
        projectFakeLabel: await readProjectFakeLabel(projectDir),
        detector: options.detector,
        minFaceScore: options.minFaceScore,
        margin: options.margin,
        maxSide: options.maxSide,
        tta: options.tta,
        smooth: options.smooth,
        onProgress: printProgress(),
        signal: cliContext.signal,
      });
      process.stdout.write(options.json ? `${JSON.stringify(results, null, 2)}\n` : results.map(describe).join("\n"));
      if (results.every(isError)) {
        throw new StudioError(results.length === 1 ? "The file could not be checked." : "None of the given files could be checked.", "nothing-checked",
          "Pass videos (MP4, MOV, WebM, MKV) or images (JPEG, PNG); the reason for each file is above.");
      }
    });
}

/** A human summary of one result. */
function describe(result: CheckResult): string {
  if (isError(result)) return `${result.file}\n  could not be checked: ${result.error}\n${result.hint ? `  ${result.hint}\n` : ""}`;
  const { summary, verdict, model } = result;
  const percent = (value: number): string => `${(value * 100).toFixed(1)}%`;
  const lines = [result.file];
  if (result.video) {
    const duration = result.video.durationSeconds !== undefined ? `, ${formatTimestamp(result.video.durationSeconds)} long` : "";
    lines.push(`  video:    ${result.video.container.toUpperCase()} ${result.video.codec} ${result.video.width}x${result.video.height}${duration}; ${summary.frames} frames sampled at ${result.video.sampledFps} fps in ${result.seconds.toFixed(1)} s`);
  }
  lines.push(`  faces:    ${summary.faces} in ${summary.framesWithFaces} of ${summary.frames} frame(s); ${summary.facesAboveThreshold} at or above ${Math.round(result.threshold * 100)}% "${model.fakeLabel}"${model.thresholdSource === "export" ? " (the export's threshold)" : ""}${summary.shareAboveThreshold === null ? "" : ` (${percent(summary.shareAboveThreshold)})`}`);
  if (summary.framesWithoutFaces > 0) {
    const ranges = summary.noFaceRanges.slice(0, 6).map((range) => (result.kind === "image" ? "the image" : formatTimestamp(range.start) + (range.frames > 1 ? `–${formatTimestamp(range.end)}` : ""))).join(", ");
    lines.push(`  no face:  ${summary.framesWithoutFaces} frame(s): ${ranges}${summary.noFaceRanges.length > 6 ? ", …" : ""}`);
  }
  if (result.kind === "video" && summary.faces > 0) lines.push(`  flagged:  ${describeSegments(result)}`);
  if (summary.worst.length > 0) {
    lines.push("  worst moments:");
    for (const [rank, moment] of summary.worst.entries()) {
      const when = result.kind === "video" ? formatTimestamp(moment.time).padStart(7) : "  image";
      const below = moment.belowThreshold ? `  below threshold` : "";
      lines.push(`    ${rank + 1}. ${when}  ${percent(moment.probability).padStart(6)}  face ${moment.faceIndex + 1}${below}${moment.image ? `  ${path.relative(process.cwd(), moment.image)}` : ""}`);
    }
  }
  lines.push(`  verdict:  ${verdict.text}`);
  for (const warning of result.warnings) lines.push(`  warning:  ${warning}`);
  if (result.report) lines.push(`  report:   ${path.relative(process.cwd(), result.report.markdown) || result.report.markdown}${result.report.timelinePng ? ` (timeline: ${path.basename(result.report.timelinePng)})` : ""}`);
  return `${lines.join("\n")}\n`;
}

/** "0:08.0–0:15.5 (mean 81%), … (median over 3 s)", or that nothing stays above the threshold. */
function describeSegments(result: MediaCheck): string {
  const { flaggedSegments, smoothing } = result.summary;
  const how = smoothing.windowSeconds > 0 ? `median over ${smoothing.windowSeconds} s` : "not smoothed";
  if (flaggedSegments.length === 0) return `none: the fake probability never stays at or above ${Math.round(result.threshold * 100)}% (${how})`;
  const shown = flaggedSegments.slice(0, 6).map((segment) => `${formatTimestamp(segment.start)}${segment.end > segment.start ? `–${formatTimestamp(segment.end)}` : ""} (mean ${Math.round(segment.meanProbability * 100)}%)`);
  return `${shown.join(", ")}${flaggedSegments.length > 6 ? ", …" : ""} (${how})`;
}

function isError(result: CheckResult): result is MediaCheckError {
  return "error" in result;
}

function parseDetector(value: string): FaceDetectorKind {
  if (value !== "fast" && value !== "accurate") throw new InvalidArgumentError(`expected "fast" or "accurate", got "${value}"`);
  return value;
}

