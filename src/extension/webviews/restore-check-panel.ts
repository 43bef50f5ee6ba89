/** Brings a Check panel back after a window reload, from the paths its webview saved: the report is re-read from disk. */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import type * as vscode from "vscode";
import { parseCheckPanelState } from "../../shared/check-protocol";
import { checkReportsRoot, readSavedCheck } from "../check-reports";
import type { Studio } from "../studio";
import { CheckPanel } from "./check-panel";

/** deserializeWebviewPanel: shows the saved check again, or why it cannot (with "Check again" while the file exists). */
export async function restoreCheckPanel(studio: Studio, panel: vscode.WebviewPanel, state: unknown): Promise<void> {
  const saved = parseCheckPanelState(state);
  if (!saved || !path.isAbsolute(saved.file) || !path.isAbsolute(saved.reportJson)) {
    // Nothing says which file this was (a panel from before reports were saved, or tampered state): nothing to offer.
    studio.log.warn("Check panel: a restored panel had no usable saved state and was closed.");
    panel.dispose();
    return;
  }
  const read = await readSavedCheck({ state: saved, reportsRoot: checkReportsRoot(studio.context) });
  if ("check" in read) {
    CheckPanel.revive(panel, studio.extensionUri, studio.log, { check: read.check });
    return;
  }
  studio.log.warn(`Check panel: ${saved.reportJson}: ${read.reason}`);
  const canCheckAgain = await fs.stat(saved.file).then((stat) => stat.isFile(), () => false);
  const reason = `This check cannot be shown again. ${read.reason}${canCheckAgain ? " Check the file again to see a fresh report." : " The checked file is gone too."}`;
  CheckPanel.revive(panel, studio.extensionUri, studio.log, { lost: { file: saved.file, reason, canCheckAgain, state: saved } });
}
