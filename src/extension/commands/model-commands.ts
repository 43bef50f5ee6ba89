/** Export Model and Predict Image: core exportModel / predict. */
import * as path from "node:path";
import * as vscode from "vscode";
import type { DecisionRequest } from "../../core/export/choose-decision";
import type { DecisionThreshold } from "../../core/export/export-format";
import type { Prediction, PredictResult } from "../../core/predict/predict";
import { loadHeavyCore } from "../core";
import { reportError, requireTrust } from "../errors";
import { openProject } from "../project";
import { runTask } from "../run-task";
import type { Studio } from "../studio";

/** Exports a run (default: the latest) to <project>/export as a verified ONNX folder, with a decision threshold when one is asked for. */
export async function exportRun(studio: Studio, runId?: string, decision?: DecisionRequest): Promise<void> {
  const result = await runTask(studio.log, "Exporting the model", async ({ signal, onProgress }) => {
    requireTrust("Export Model");
    const { projectDir, config } = await openProject();
    const { exportModel } = await loadHeavyCore();
    return exportModel({ projectDir, config, runId: typeof runId === "string" ? runId : undefined, decision, signal, onProgress });
  });
  studio.refreshViews();
  if (!result) return;
  const megabytes = (result.modelBytes / 1e6).toFixed(1);
  if (result.decision) studio.log.info(`The export decides "${result.decision.label}" at a probability of ${result.decision.threshold.toFixed(4)} or more${decisionOrigin(result.decision)}.`);
  studio.log.info(`Exported run ${result.runId} to ${result.outDir}: ${result.files.join(", ")}; model.onnx ${megabytes} MB; ONNX vs TensorFlow.js max probability difference ${result.verification.maxProbabilityDifference.toExponential(1)} on ${result.verification.images} probe images.`);
  const next = await vscode.window.showInformationMessage(`Exported run ${result.runId} to ${result.outDir} (model.onnx ${megabytes} MB, verified).`, "Create Space", "Reveal in Explorer");
  if (next === "Create Space") await vscode.commands.executeCommand("deepfakeStudio.createSpace");
  else if (next === "Reveal in Explorer") await vscode.commands.executeCommand("revealInExplorer", vscode.Uri.file(result.outDir));
}

/** Predicts the selected image(s) with the project's export; from the palette it asks for files. */
export async function predictImages(studio: Studio, clicked?: vscode.Uri, selected?: vscode.Uri[]): Promise<void> {
  let project: Awaited<ReturnType<typeof openProject>>;
  try {
    requireTrust("Predict Image");
    project = await openProject();
  } catch (error) {
    await reportError(error, studio.log, "Predict Image");
    return;
  }
  const uris = selected && selected.length > 0 ? selected : clicked instanceof vscode.Uri ? [clicked] : await vscode.window.showOpenDialog({ canSelectMany: true, canSelectFolders: false, openLabel: "Predict", filters: { Images: ["jpg", "jpeg", "png", "webp", "gif", "avif", "tif", "tiff"] } });
  if (!uris || uris.length === 0) return;
  const results = await runTask(studio.log, `Predicting ${uris.length === 1 ? path.basename(uris[0].fsPath) : `${uris.length} images`}`, async ({ signal, onProgress }) => {
    const { predict, DEFAULT_EXPORT_FOLDER } = await loadHeavyCore();
    return predict({ modelDir: path.join(project.projectDir, DEFAULT_EXPORT_FOLDER), inputs: uris.map((uri) => uri.fsPath), signal, onProgress });
  });
  if (!results) return;
  for (const result of results) studio.log.info(`${result.file}: ${describe(result)}`);
  const text = results.length === 1 ? `${path.basename(results[0].file)}: ${describe(results[0])}` : `${results.length} images: ${summarise(results)} (details in the log).`;
  const picked = await vscode.window.showInformationMessage(`${text} A score is a screening signal, not proof.`, "Show log");
  if (picked) studio.log.show();
}

function isPrediction(result: PredictResult): result is Prediction {
  return "label" in result;
}

function describe(result: PredictResult): string {
  if (!isPrediction(result)) return result.reason === "no-face" ? `no face found, not scored (${result.error})` : `not predicted (${result.error})`;
  const score = `${result.label} (${((result.probabilities[result.label] ?? 0) * 100).toFixed(1)}%)`;
  // Face-crop models judge one face: say which, so a picture with several people is not misread.
  return result.face && result.face.facesFound > 1 ? `${score} for the largest of ${result.face.facesFound} faces` : score;
}

function summarise(results: PredictResult[]): string {
  const counts = new Map<string, number>();
  for (const result of results) {
    const key = isPrediction(result) ? result.label : result.reason === "no-face" ? "no face" : "unreadable";
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([label, count]) => `${count} × ${label}`).join(", ");
}

/** Where an export's threshold came from, for the log; "" when typed by hand. */
function decisionOrigin(decision: DecisionThreshold): string {
  const rate = `${((decision.maxFpr ?? 0) * 100).toFixed(1)} %`;
  if (decision.method === "max-fpr") return ` (read off the evaluation ${decision.evaluation?.name ?? ""} for a false-positive rate of at most ${rate})`;
  if (decision.method === "held-out-reals") return ` (set by training to flag at most ${rate} of its ${decision.validation?.realPictures ?? ""} held-out real pictures, as every fake it learned was synthesized)`;
  return "";
}
