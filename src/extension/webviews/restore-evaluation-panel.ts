/** Brings an evaluation panel back after a window reload, from the path its webview saved: evaluation.json is re-read from disk. */
import * as path from "node:path";
import * as vscode from "vscode";
import { parseEvaluationPanelState } from "../../shared/evaluation-protocol";
import { readSavedEvaluation } from "../saved-evaluation";
import type { Studio } from "../studio";
import { EvaluationPanel } from "./evaluation-panel";

/** deserializeWebviewPanel: shows the saved evaluation again, or why it cannot. */
export async function restoreEvaluationPanel(studio: Studio, panel: vscode.WebviewPanel, state: unknown): Promise<void> {
  const saved = parseEvaluationPanelState(state);
  if (!saved) {
    // Nothing says which evaluation this was (no report was written, or tampered state): nothing to offer.
    studio.log.warn("Evaluation panel: a restored panel had no usable saved state and was closed.");
    panel.dispose();
    return;
  }
  const roots = (vscode.workspace.workspaceFolders ?? []).map((folder) => folder.uri.fsPath);
  const read = await readSavedEvaluation({ state: saved, roots });
  if ("evaluation" in read) {
    EvaluationPanel.revive(panel, studio.extensionUri, studio.log, { evaluation: read.evaluation });
    return;
  }
  studio.log.warn(`Evaluation panel: ${read.reason}`);
  const reason = `This evaluation cannot be shown again. ${read.reason} Run Evaluate on Folder again to see a fresh one.`;
  EvaluationPanel.revive(panel, studio.extensionUri, studio.log, { lost: { title: path.basename(path.dirname(saved.json)), reason, state: saved } });
}
