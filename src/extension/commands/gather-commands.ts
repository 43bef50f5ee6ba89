/** Gather Images and Import Folder…: core gather/importFolder under a cancellable progress notification. */
import * as vscode from "vscode";
import { describeConflict, describeIgnored, type IngestReport } from "../../core/dataset/ingest-image";
import { loadHeavyCore } from "../core";
import { reportError, requireTrust } from "../errors";
import { openProject } from "../project";
import { runTask } from "../run-task";
import type { Studio } from "../studio";

/** Searches, downloads, verifies and de-duplicates images for every category with a search query. */
export async function gatherImages(studio: Studio): Promise<void> {
  const report = await runTask(studio.log, "Gathering images", async ({ signal, onProgress }) => {
    requireTrust("Gather Images");
    const { projectDir, config } = await openProject();
    const { gather } = await loadHeavyCore();
    return gather({ projectDir, config, signal, onProgress });
  });
  studio.refreshViews();
  if (report) await showReport(studio, report, "Gathered");
}

/** Imports a local folder of photos as one category, through the same pipeline. */
export async function importImages(studio: Studio, folderArg?: vscode.Uri): Promise<void> {
  let project: Awaited<ReturnType<typeof openProject>>;
  try {
    requireTrust("Import Folder");
    project = await openProject();
  } catch (error) {
    await reportError(error, studio.log, "Import Folder");
    return;
  }
  const folder = folderArg ?? (await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: "Import", title: "Folder of photos to import" }))?.[0];
  if (!folder) return;
  const label = await vscode.window.showQuickPick(project.config.categories.map((category) => category.label), { placeHolder: `Which category are the photos in ${folder.fsPath}?` });
  if (!label) return;
  const report = await runTask(studio.log, `Importing images as ${label}`, async ({ signal, onProgress }) => {
    const { importFolder } = await loadHeavyCore();
    return importFolder({ projectDir: project.projectDir, config: project.config, folder: folder.fsPath, label, signal, onProgress });
  });
  studio.refreshViews();
  if (report) await showReport(studio, report, "Imported");
}

/** The same counts as the table: pictures not added for being under another label, and kept look-alikes. */
function conflictSummary(report: IngestReport): string {
  const notAdded = report.conflicts.filter((conflict) => conflict.kind === "same-pixels").length;
  const similar = report.conflicts.length - notAdded;
  const parts = [
    notAdded > 0 ? `${notAdded} not added (already under another label)` : "",
    similar > 0 ? `${similar} kept that look like pictures under another label` : "",
  ].filter(Boolean);
  return parts.length > 0 ? ` ${parts.join("; ")}: see the log.` : "";
}

/** Logs the whole table and shows a one-line summary with the next step. */
async function showReport(studio: Studio, report: IngestReport, verb: string): Promise<void> {
  for (const row of report.categories) {
    const failed = Object.entries(row.failed).map(([reason, count]) => `${reason} ${count}`).join(", ");
    const ignored = describeIgnored(row.ignored);
    studio.log.info(`${row.label}: found ${row.found}, known ${row.alreadyKnown}, fetched ${row.fetched}, duplicates ${row.duplicates + row.nearDuplicates}, cross-label ${row.crossCategory}, kept ${row.kept}, total ${row.total}${failed ? `; failed: ${failed}` : ""}${ignored ? `; not read: ${ignored}` : ""}`);
  }
  for (const conflict of report.conflicts) studio.log.warn(`Label conflict: ${describeConflict(conflict)}`);
  const summary = report.categories.map((row) => `${row.label} +${row.kept} (${row.total})`).join(", ");
  const conflicts = conflictSummary(report);
  const picked = await vscode.window.showInformationMessage(`${verb}: ${summary}.${conflicts}`, "Train", "Show log");
  if (picked === "Train") await vscode.commands.executeCommand("deepfakeStudio.train");
  else if (picked === "Show log") studio.log.show();
}
