/** `deepfake-studio export` and `predict`: a training run → a portable ONNX folder, and that folder → predictions. */
import type { Command } from "commander";
import * as path from "node:path";
import { DEFAULT_EXPORT_FOLDER, exportModel, type ExportResult } from "../../core/export/export-model";
import type { DecisionThreshold } from "../../core/export/export-format";
import { CAM_MAX_POOLING_NOTE } from "../../core/cam/cam-parts";
import { predict, type Prediction, type PredictResult } from "../../core/predict/predict";
import { StudioError } from "../../core/shared/errors";
import { cliContext } from "../cli-context";
import { formatTable, parseNumber, printProgress } from "../output";
import { loadProjectOf, projectDirOf } from "./context";

/** Adds `export [--run <id>] [--out <folder>] [--json]` and `predict <file|folder...> [--model <folder>] [--json]`. */
export function registerExportCommands(program: Command): void {
  program
    .command("export")
    .description("turn a training run (default: the latest) into export/: model.onnx + labels.json + preprocess.json + README.md model card; the old export is kept as export.previous")
    .option("-r, --run <id>", "the run folder under runs/ to export (default: the latest)")
    .option("-o, --out <folder>", `destination folder (default: ${DEFAULT_EXPORT_FOLDER}/ in the project)`)
    .option("--threshold <p>", "record a decision threshold: the fake label is decided when its probability is at least p (predict, check and the Space use it); default: none, the largest probability decides", parseNumber)
    .option("--max-fpr <rate>", "record the threshold that flags at most this share of real pictures on the last evaluation of this run (evaluation/ in the project, or --evaluation)", parseNumber)
    .option("--evaluation <folder>", "the evaluation folder --max-fpr reads (default: the latest in evaluation/)")
    .option("--fake-label <label>", 'the label the threshold is for (default: the one containing "fake", else the second)')
    .option("--json", "print the result as JSON")
    .action(async (options: { run?: string; out?: string; threshold?: number; maxFpr?: number; evaluation?: string; fakeLabel?: string; json?: boolean }, command: Command) => {
      const { projectDir, config } = await loadProjectOf(command);
      const outDir = options.out === undefined ? undefined : path.resolve(options.out);
      const decision = { threshold: options.threshold, maxFpr: options.maxFpr, evaluationDir: options.evaluation === undefined ? undefined : path.resolve(options.evaluation), fakeLabel: options.fakeLabel };
      const result = await exportModel({ projectDir, config, runId: options.run, outDir, decision, onProgress: printProgress(), signal: cliContext.signal });
      process.stdout.write(options.json ? `${JSON.stringify(result, null, 2)}\n` : summary(result));
    });

  program
    .command("predict <inputs...>")
    .description("classify image files and folders (searched recursively) with an export; exit code 0 when at least one image was predicted, 1 when none was")
    .option("-m, --model <folder>", `the export folder (default: ${DEFAULT_EXPORT_FOLDER}/ in the project)`)
    .option("--json", 'print [{"file", "label", "probabilities": {label: p}, "face"?, "cam"?}] (unreadable files or no face: {"file", "error", "reason"?})')
    .option("--cam <folder>", "also write where the model looked: an overlay PNG per picture (its input, the activation map of the decided label, the face box) into <folder>; the JSON gains cam.faceShare, the share of the map inside the face")
    .action(async (inputs: string[], options: { model?: string; json?: boolean; cam?: string }, command: Command) => {
      const modelDir = options.model === undefined ? path.join(projectDirOf(command), DEFAULT_EXPORT_FOLDER) : path.resolve(options.model);
      // Progress goes to stderr, so `--json` output on stdout stays parseable.
      const camDir = options.cam === undefined ? undefined : path.resolve(options.cam);
      const results = await predict({ modelDir, inputs, camDir, onProgress: printProgress(), signal: cliContext.signal });
      process.stdout.write(options.json ? `${JSON.stringify(results, null, 2)}\n` : table(results));
      const failed = results.filter(isError).length;
      if (failed > 0 && !options.json) process.stderr.write(`${failed} file(s) could not be scored (listed above).\n`);
      if (results.length === failed) {
        // Nothing predicted is a failure for scripts, even though the JSON above still lists every error entry.
        throw new StudioError(nothingPredictedMessage(results), "nothing-predicted",
          "Pass image files (JPEG, PNG, WebP, GIF, TIFF, AVIF/HEIF) or folders that contain some.");
      }
    });
}

/** Why no file got a prediction: none found, none readable, or (face-crop models) no face in any. */
function nothingPredictedMessage(results: PredictResult[]): string {
  if (results.length === 0) return "No image files were found in the given paths.";
  const noFace = results.filter((result) => isError(result) && result.reason === "no-face").length;
  if (noFace === 0) return "None of the given files could be read as an image.";
  if (noFace === results.length) return "No face was found in any of the given pictures; this model was trained on face crops, so there is nothing to score.";
  return `None of the given files could be scored: ${results.length - noFace} could not be read as an image and ${noFace} show no face.`;
}

/** Human summary of an export. */
function summary(result: ExportResult): string {
  const lines = [
    `Exported run ${result.runId} to ${result.outDir} in ${result.seconds.toFixed(1)} s`,
    `  labels:   ${result.labels.join(", ")}`,
    `  backbone: ${result.backbone.id} (${result.backbone.kind === "torchvision" ? "weights file" : "model.json"} sha256 ${result.backbone.modelJsonSha256.slice(0, 16)}…)`,
    `  model:    ${(result.modelBytes / 1024 / 1024).toFixed(1)} MB; matches ${result.verification.against === "tfjs" ? "the TensorFlow.js model" : "the fine-tuned run's own model"} (largest differences: probability ${result.verification.maxProbabilityDifference.toExponential(1)}, feature ${result.verification.maxFeatureDifference.toExponential(1)} relative)`,
    `  files:    ${result.files.join(", ")}`,
    `  decision: ${result.decision ? `"${result.decision.label}" when its probability is at least ${result.decision.threshold.toFixed(4)}${describeDecisionSource(result.decision)}` : "the largest probability (no threshold recorded)"}`,
  ];
  if (result.previousDir) lines.push(`  previous export kept in ${result.previousDir}`);
  lines.push("Next: deepfake-studio predict <image or folder>");
  return `${lines.join("\n")}\n`;
}

/** file / label / confidence (and the face scored, for face-crop models); files that could not be scored show why. */
function table(results: PredictResult[]): string {
  if (results.length === 0) return "";
  const withFaces = results.some((result) => !isError(result) && result.face !== undefined);
  const rows = results.map((result) => {
    if (isError(result)) return [result.file, result.reason === "no-face" ? "(no face)" : "(unreadable)", result.error, ...(withFaces ? [""] : [])];
    const row = [result.file, result.label, `${(result.probabilities[result.label] * 100).toFixed(1)}%`];
    if (!withFaces) return row;
    const face = result.face;
    return [...row, face ? `${Math.round(face.box.width)}×${Math.round(face.box.height)} at ${Math.round(face.box.x)},${Math.round(face.box.y)}${face.facesFound > 1 ? ` (largest of ${face.facesFound})` : ""}` : ""];
  });
  const threshold = results.find((result): result is Prediction => !isError(result) && result.threshold !== undefined)?.threshold;
  const note = threshold ? `\n(the export decides "${threshold.label}" at a probability of ${threshold.value.toFixed(4)} or more)` : "";
  return `${formatTable(["file", "label", "confidence", ...(withFaces ? ["face"] : [])], rows)}${note}${camNote(results)}\n`;
}

/** Where the overlays went and how much of the maps lay inside the faces. */
function camNote(results: PredictResult[]): string {
  const cams = results.flatMap((result) => (!isError(result) && result.cam ? [result.cam] : []));
  if (cams.length === 0) return "";
  if (cams.every((cam) => cam.unavailable)) return `\nWhere it looked: ${cams[0].unavailable}.`;
  const shares = cams.flatMap((cam) => (cam.faceShare !== undefined ? [cam.faceShare] : []));
  const folder = path.dirname(cams.find((cam) => cam.overlay)?.overlay ?? "");
  const inFace = shares.length > 0 ? `; on average ${Math.round((100 * shares.reduce((a, b) => a + b, 0)) / shares.length)}% of each map lies inside the face box` : "";
  return `\nWhere it looked: overlays in ${folder}${inFace}. Warm colours mark what pushed the model towards its label. ${CAM_MAX_POOLING_NOTE}`;
}

function isError(result: PredictResult): result is Extract<PredictResult, { error: string }> {
  return "error" in result;
}

/** Where the recorded threshold came from, after its value. */
function describeDecisionSource(decision: DecisionThreshold): string {
  if (decision.method === "max-fpr") return ` (FPR ≤ ${decision.maxFpr} on evaluation ${decision.evaluation?.name})`;
  if (decision.method === "held-out-reals") return ` (set by training: flags at most ${decision.maxFpr} of its ${decision.validation?.realPictures} held-out real pictures, as every fake it learned was synthesized; --threshold or --max-fpr replaces it)`;
  return " (--threshold)";
}
