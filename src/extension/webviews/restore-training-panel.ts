/** Brings the Training panel back after a window reload, from the run id the webview saved in its state. */
import * as path from "node:path";
import type * as vscode from "vscode";
import { pickProjectDir } from "../project";
import { readMetrics } from "../runs";
import type { Studio } from "../studio";
import { runViewOf } from "./run-view";
import { TrainingPanel } from "./training-panel";

/** deserializeWebviewPanel: shows the saved run again, or closes the panel when it is gone. */
export async function restoreTrainingPanel(studio: Studio, panel: vscode.WebviewPanel, state: unknown): Promise<void> {
  const runId = typeof state === "object" && state !== null && typeof (state as { runId?: unknown }).runId === "string" ? (state as { runId: string }).runId : undefined;
  const projectDir = await pickProjectDir({ quiet: true }).catch(() => undefined);
  const metrics = runId && projectDir && /^[\w.-]+$/.test(runId) ? await readMetrics(path.join(projectDir, "runs", runId)) : undefined;
  if (!metrics) {
    panel.dispose();
    return;
  }
  TrainingPanel.revive(panel, studio.extensionUri, studio.log, runViewOf(metrics));
}
