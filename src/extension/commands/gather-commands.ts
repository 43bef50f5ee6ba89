/** Gather Images and Import Folder…: core gather/importFolder under a cancellable progress notification. */
import * as path from "node:path";
import * as vscode from "vscode";
import { describeConflict, describeIgnored } from "../../core/dataset/describe-ingest";
import type { IngestReport } from "../../core/dataset/ingest-image";
import { VIDEO_EXTENSIONS } from "../../core/gather/video-extensions";
import { loadCore, loadHeavyCore } from "../core";
import { reportError, requireTrust } from "../errors";
import { stepCommand, type StepCommand } from "../next-steps";
import { openProject, type Project } from "../project";
import { runTask } from "../run-task";
import type { Studio } from "../studio";
import { BRAVE_KEY_SECRET } from "./token-commands";

/** Searches, downloads, verifies and de-duplicates images for every category with a search query. */
export async function gatherImages(studio: Studio): Promise<void> {
  let project: Project | undefined;
  const report = await runTask(studio.log, "Gathering images", async ({ signal, onProgress }) => {
    requireTrust("Gather Images");
    project = await openProject();
    const { gather } = await loadHeavyCore();
    const braveApiKey = await studio.context.secrets.get(BRAVE_KEY_SECRET);
    return gather({ projectDir: project.projectDir, config: project.config, braveApiKey, signal, onProgress });
  });
  studio.refreshViews();
  if (report && project) await showReport(studio, project, [report], "Gathered");
}

/** The command the first steps offer for `label`'s pictures: Import Folder… for it, and Gather Images when it has a search. */
function fillCommands(project: Project, label: string | undefined): StepCommand[] {
  const searchable = project.config.categories.some((category) => category.search && (label === undefined || category.label === label));
  return [...(searchable ? [stepCommand({ step: "gather" })] : []), stepCommand({ step: "import", label })];
}

/** Runs the command behind a button the user picked (no-op when they closed the message). */
export async function runPicked(commands: StepCommand[], picked: string | undefined): Promise<void> {
  const command = commands.find((candidate) => candidate.title === picked);
  if (command?.command) await vscode.commands.executeCommand(command.command, ...(command.args ?? []));
}

/** What to do after adding pictures: Train when it can succeed, else fill the category that is short. */
export async function nextAfterAdding(project: Project): Promise<{ text: string; commands: StepCommand[] }> {
  const { listTrainingImages, trainReadiness } = await loadCore();
  const labels = project.config.categories.map((category) => category.label);
  const counts: Record<string, number> = Object.fromEntries(labels.map((label) => [label, 0]));
  for (const image of await listTrainingImages({ dataDir: project.dataDir, labels })) counts[image.label] += 1;
  const readiness = trainReadiness({ labels, counts, validPct: project.config.train.validPct });
  if (readiness.ready) return { text: "Next: train.", commands: [stepCommand({ step: "train" })] };
  const [first] = readiness.needs;
  return { text: `${readiness.reason} Next: add pictures of “${first.label}”.`, commands: fillCommands(project, first.label) };
}

/** Imports a local folder of photos as one category, through the same pipeline. */
export async function importImages(studio: Studio, folderArg?: vscode.Uri, labelArg?: string): Promise<void> {
  let project: Awaited<ReturnType<typeof openProject>>;
  try {
    requireTrust("Import Folder");
    project = await openProject();
  } catch (error) {
    await reportError(error, studio.log, "Import Folder");
    return;
  }
  const sources = folderArg ? [folderArg] : await pickImportSources();
  if (!sources || sources.length === 0) return;
  const labels = project.config.categories.map((category) => category.label);
  // A "fill this category" button names it; the pick still confirms it (the folder may hold the other kind).
  const ordered = labelArg && labels.includes(labelArg) ? [labelArg, ...labels.filter((label) => label !== labelArg)] : labels;
  // A video gives one frame per second (`import <video>`'s default), through the same pipeline.
  const videos = sources.every((source) => isVideo(source.fsPath));
  const what = sources.length === 1 ? sources[0].fsPath : `these ${sources.length} videos`;
  // Asked right after the file dialog closes, when focus may still be moving: a pick that closed on focus-out would
  // drop the chosen files without a word, so only Escape cancels it.
  const label = await vscode.window.showQuickPick(ordered, { placeHolder: `Which category ${videos ? "shows the person in" : "are the photos in"} ${what}?`, ignoreFocusOut: true });
  if (!label) return;
  const reports = await runTask(studio.log, `Importing ${videos ? "video frames" : "images"} as ${label}`, async ({ signal, onProgress }) => {
    const { importFolder, importVideo } = await loadHeavyCore();
    const common = { projectDir: project.projectDir, config: project.config, label, signal, onProgress };
    const done: IngestReport[] = [];
    for (const source of sources) done.push(isVideo(source.fsPath) ? await importVideo({ ...common, file: source.fsPath, fps: 1 }) : await importFolder({ ...common, folder: source.fsPath }));
    return done;
  });
  studio.refreshViews();
  if (reports) await showReport(studio, project, reports, "Imported");
}

function isVideo(file: string): boolean {
  return VIDEO_EXTENSIONS.has(path.extname(file).toLowerCase());
}

/**
 * A folder of photos, or video files: asked first, as VS Code's own dialog on Windows and Linux picks either files
 * or folders, never both.
 */
async function pickImportSources(): Promise<vscode.Uri[] | undefined> {
  const kinds = [
    { label: "$(folder) A folder of photos", videos: false },
    { label: "$(device-camera-video) Video files", description: "one frame per second is imported", videos: true },
  ];
  const kind = await vscode.window.showQuickPick(kinds, { title: "Import", placeHolder: "What do you want to import?" });
  if (!kind) return undefined;
  if (!kind.videos) return vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: "Import", title: "Folder of photos to import" });
  const extensions = [...VIDEO_EXTENSIONS].map((extension) => extension.slice(1));
  return vscode.window.showOpenDialog({ canSelectFiles: true, canSelectFolders: false, canSelectMany: true, openLabel: "Import", title: "Videos to import (one frame per second)", filters: { Videos: extensions } });
}

/** The same counts as the table: pictures not added for being under another label, and kept look-alikes. */
function conflictSummary(conflicts: IngestReport["conflicts"]): string {
  const notAdded = conflicts.filter((conflict) => conflict.kind === "same-pixels").length;
  const similar = conflicts.length - notAdded;
  const parts = [
    notAdded > 0 ? `${notAdded} not added (already under another label)` : "",
    similar > 0 ? `${similar} kept that look like pictures under another label` : "",
  ].filter(Boolean);
  return parts.length > 0 ? ` ${parts.join("; ")}: see the log.` : "";
}

/** Logs the whole table (one per source) and shows a one-line summary with the next step. */
async function showReport(studio: Studio, project: Project, reports: IngestReport[], verb: string): Promise<void> {
  for (const row of reports.flatMap((report) => report.categories)) {
    const failed = Object.entries(row.failed).map(([reason, count]) => `${reason} ${count}`).join(", ");
    const ignored = describeIgnored(row.ignored);
    const engines = Object.entries(row.engines ?? {}).map(([name, count]) => `${name} ${count.kept}/${count.found}`).join(", ");
    studio.log.info(`${row.label}: found ${row.found}, known ${row.alreadyKnown}, fetched ${row.fetched}, duplicates ${row.duplicates + row.nearDuplicates}, cross-label ${row.crossCategory}, kept ${row.kept}, total ${row.total}${engines ? `; by engine (kept/found): ${engines}` : ""}${failed ? `; failed: ${failed}` : ""}${ignored ? `; not read: ${ignored}` : ""}`);
  }
  const conflictList = reports.flatMap((report) => report.conflicts);
  for (const conflict of conflictList) studio.log.warn(`Label conflict: ${describeConflict(conflict)}`);
  // Per label: what all sources added, and the folder's count after the last.
  const added = new Map<string, { kept: number; total: number }>();
  for (const row of reports.flatMap((report) => report.categories)) added.set(row.label, { kept: (added.get(row.label)?.kept ?? 0) + row.kept, total: row.total });
  const summary = [...added].map(([label, row]) => `${label} +${row.kept} (${row.total})`).join(", ");
  const conflicts = conflictSummary(conflictList);
  const next = await nextAfterAdding(project).catch(() => undefined);
  const commands = next?.commands ?? [];
  const picked = await vscode.window.showInformationMessage(`${verb}: ${summary}.${conflicts}${next ? ` ${next.text}` : ""}`, ...commands.map((command) => command.title), "Show log");
  if (picked === "Show log") studio.log.show();
  else await runPicked(commands, picked);
}
