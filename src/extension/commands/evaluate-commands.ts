/** Evaluate on Folder…: core evaluateFolder on a folder of labelled held-out pictures, results in the evaluation panel. */
import * as path from "node:path";
import * as vscode from "vscode";
import { loadCore, loadHeavyCore } from "../core";
import { reportError, requireTrust } from "../errors";
import { pickProjectDir } from "../project";
import { runTask } from "../run-task";
import type { Studio } from "../studio";
import { EvaluationPanel } from "../webviews/evaluation-panel";

/** Asks for the folder (unless one was clicked), evaluates the project's export on it and shows the panel. */
export async function evaluateOnFolder(studio: Studio, clicked?: vscode.Uri): Promise<void> {
  let projectDir: string;
  try {
    requireTrust("Evaluate on Folder");
    projectDir = await pickProjectDir();
  } catch (error) {
    await reportError(error, studio.log, "Evaluate on Folder");
    return;
  }
  const folder = clicked instanceof vscode.Uri ? clicked
    : (await vscode.window.showOpenDialog({ canSelectFiles: false, canSelectFolders: true, canSelectMany: false, openLabel: "Evaluate", title: "A folder of held-out pictures with one sub-folder per category (e.g. Real/, Deepfake/)" }))?.[0];
  if (!folder || folder.scheme !== "file") return;
  const evaluation = await runTask(studio.log, `Evaluating the model on ${path.basename(folder.fsPath)}`, async ({ signal, onProgress }) => {
    const core = await loadHeavyCore();
    return core.evaluateFolder({
      folders: [folder.fsPath],
      modelDir: path.join(projectDir, core.DEFAULT_EXPORT_FOLDER),
      outDir: core.defaultEvaluationDir(projectDir),
      protectedDirs: await core.projectProtectedDirs(projectDir),
      projectFakeLabel: await (await loadCore()).readProjectFakeLabel(projectDir),
      signal,
      onProgress,
    });
  });
  if (!evaluation) return;
  studio.log.info(`Evaluation: AUC ${evaluation.auc === null ? "– (one class)" : evaluation.auc.toFixed(3)}, balanced accuracy ${evaluation.balancedAccuracy === null ? "–" : (evaluation.balancedAccuracy * 100).toFixed(1)}%${evaluation.files ? `; report ${evaluation.files.markdown}` : ""}`);
  for (const warning of evaluation.warnings) studio.log.warn(warning);
  EvaluationPanel.show(studio.extensionUri, studio.log, evaluation);
}
