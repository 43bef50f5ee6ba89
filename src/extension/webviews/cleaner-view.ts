/**
 * The Cleaner view: fastai's ImageClassifierCleaner in a webview. The webview only records keep/delete/relabel
 * choices; Apply hands them to core applyCleaning (which validates every path), Undo to undoLastCleaning.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import type { CleaningDecision } from "../../core/clean/cleaning-decision";
import { assertNever, parseCleanerFromWebview, type CleanerItem, type CleanerState, type CleanerToWebview, type Choice } from "../../shared/protocol";
import { loadCore } from "../core";
import { asStudioError, requireTrust } from "../errors";
import type { StudioLog } from "../log";
import { findProjectDirs, loadProject, pickProjectDir, type Project } from "../project";
import { runTask } from "../run-task";
import { listRuns } from "../runs";
import { localRoots, renderWebviewHtml } from "./webview-html";

/** Provides the webview of the Cleaner view. */
export class CleanerViewProvider implements vscode.WebviewViewProvider {
  static readonly viewType = "deepfakeStudio.cleaner";
  private view: vscode.WebviewView | undefined;
  private dataDir: string | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: StudioLog,
    /** Called after Apply/Undo changed files, so the other views refresh at once. */
    private readonly onDatasetChanged: () => void,
  ) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    this.setOptions(undefined);
    view.webview.html = renderWebviewHtml({
      webview: view.webview,
      extensionUri: this.extensionUri,
      title: "Cleaner",
      script: "cleaner.js",
      style: "cleaner.css",
      body: '<main id="app" aria-busy="true"><p class="notice">Loading…</p></main>',
    });
    view.webview.onDidReceiveMessage((message: unknown) => this.receive(message));
    view.onDidChangeVisibility(() => view.visible && void this.refresh());
    view.onDidDispose(() => {
      this.view = undefined;
    });
  }

  /** Rebuilds the state from disk and sends it (no-op while the view is not open). */
  async refresh(): Promise<void> {
    if (!this.view) return;
    const state = await this.buildState().catch((error: unknown): CleanerState => ({ labels: [], items: [], canUndo: false, readOnly: true, notice: (error as Error).message }));
    this.post({ type: "cleaner/state", state });
  }

  private setOptions(dataDir: string | undefined): void {
    if (!this.view || (this.dataDir === dataDir && this.view.webview.options.enableScripts)) return;
    this.dataDir = dataDir;
    this.view.webview.options = { enableScripts: true, localResourceRoots: localRoots(this.extensionUri, dataDir ? [vscode.Uri.file(dataDir)] : []) };
  }

  private post(message: CleanerToWebview): void {
    void this.view?.webview.postMessage(message);
  }

  private async receive(raw: unknown): Promise<void> {
    const message = parseCleanerFromWebview(raw);
    if (!message) {
      this.log.warn("Cleaner: ignored a malformed message from the webview.");
      return;
    }
    switch (message.type) {
      case "cleaner/ready":
        await this.refresh();
        break;
      case "cleaner/apply":
        await this.apply(message.decisions);
        break;
      case "cleaner/undo":
        await this.undo();
        break;
      case "cleaner/train":
        await vscode.commands.executeCommand("deepfakeStudio.train");
        break;
      default:
        assertNever(message);
    }
  }

  private async buildState(): Promise<CleanerState> {
    const readOnly = !vscode.workspace.isTrusted;
    const [projectDir] = await findProjectDirs();
    if (!projectDir) return { labels: [], items: [], canUndo: false, readOnly, notice: "No deepfake-studio.json in this workspace: run “Deepfake Studio: New Project”." };
    const project = await loadProject(projectDir);
    this.setOptions(project.dataDir);
    const labels = project.config.categories.map((category) => category.label);
    const canUndo = await hasUndo(project);
    const [latest] = await listRuns(projectDir);
    if (!latest) return { labels, items: [], canUndo, readOnly, notice: "No training run yet: train a model first; the cleaner sorts images by its losses." };
    const items = await this.items(project, labels, latest.runId);
    const notice = items.length === 0 ? `Run ${latest.runId} has no images left to review.` : undefined;
    return { runId: latest.runId, labels, items, canUndo, readOnly, notice };
  }

  /** The run's predictions for images still where they were, highest loss first (a damaged predictions.json throws, named). */
  private async items(project: Project, labels: string[], runId: string): Promise<CleanerItem[]> {
    const { listTrainingImages, listTopLosses } = await loadCore();
    const present = new Set((await listTrainingImages({ dataDir: project.dataDir, labels })).map((image) => image.relative));
    const webview = this.view!.webview;
    const { items } = await listTopLosses({ projectDir: project.projectDir, config: project.config, runId });
    return items
      .filter((prediction) => present.has(prediction.file) && labels.includes(prediction.label))
      .map((prediction) => ({
        file: prediction.file,
        src: webview.asWebviewUri(vscode.Uri.file(path.join(project.dataDir, ...prediction.file.split("/")))).toString(),
        split: prediction.split,
        label: prediction.label,
        predicted: prediction.predicted,
        confidence: prediction.probabilities[prediction.predicted] ?? 0,
        loss: prediction.loss,
      }));
  }

  private async apply(choices: Array<{ file: string; choice: Choice }>): Promise<void> {
    const decisions = choices.map(toDecision);
    const changes = decisions.filter((decision) => decision.action !== "keep").length;
    if (changes === 0) {
      this.post({ type: "cleaner/result", ok: true, message: "Nothing to apply: every image is kept.", clearChoices: false });
      return;
    }
    this.post({ type: "cleaner/busy", message: `Applying ${changes} change(s)…` });
    const result = await runTask(this.log, "Applying the cleaner's choices", async () => {
      requireTrust("Cleaning");
      const project = await loadProject(await pickProjectDir({ quiet: true }));
      const { applyCleaning } = await loadCore();
      for (const decision of decisions) this.log.info(`  ${decision.action} ${decision.file}${decision.action === "relabel" ? ` → ${decision.label}` : ""}`);
      return applyCleaning({ projectDir: project.projectDir, config: project.config, decisions });
    });
    this.onDatasetChanged();
    if (result) {
      const message = `Deleted ${result.deleted} (moved to the trash), relabelled ${result.relabelled}. “Undo last apply” reverses it.`;
      this.log.info(message);
      this.post({ type: "cleaner/result", ok: true, message, clearChoices: true });
    } else {
      this.post({ type: "cleaner/result", ok: false, message: "Nothing was applied; see the message and the log.", clearChoices: false });
    }
    await this.refresh();
  }

  private async undo(): Promise<void> {
    this.post({ type: "cleaner/busy", message: "Undoing the last apply…" });
    let failure: string | undefined;
    const result = await runTask(this.log, "Undoing the last cleaning", async () => {
      requireTrust("Undo");
      const project = await loadProject(await pickProjectDir({ quiet: true }));
      const { undoLastCleaning } = await loadCore();
      return undoLastCleaning({ projectDir: project.projectDir, config: project.config }).catch((error: unknown) => {
        failure = asStudioError(error)?.message;
        throw error;
      });
    });
    this.onDatasetChanged();
    const notRestored = result?.notRestored ?? [];
    for (const { file, reason } of notRestored) this.log.warn(`Cleaner: could not restore ${file}: ${reason}`);
    const message = result
      ? `Restored ${result.restored} image(s)${result.renamed.length > 0 ? ` (${result.renamed.length} under a new name: the old one was taken)` : ""}.` +
        (notRestored.length > 0 ? ` ${notRestored.length} could not be restored: ${notRestored.map(({ file, reason }) => `${file} (${reason})`).join("; ")}.${result.canRetry ? " Fix that and undo again." : ""}` : "")
      : (failure ?? "Undo failed; see the log.");
    this.post({ type: "cleaner/result", ok: Boolean(result) && notRestored.length === 0, message, clearChoices: false });
    await this.refresh();
  }
}

/** Webview choice → core decision (the core checks the file and the label again). */
function toDecision({ file, choice }: { file: string; choice: Choice }): CleaningDecision {
  switch (choice.action) {
    case "keep":
      return { file, action: "keep" };
    case "delete":
      return { file, action: "delete" };
    case "relabel":
      return { file, action: "relabel", label: choice.label };
    default:
      return assertNever(choice);
  }
}

/** True when data/.trash holds a cleaning journal to undo. */
async function hasUndo(project: Project): Promise<boolean> {
  const { TRASH_FOLDER_NAME, JOURNAL_FILE_NAME } = await loadCore();
  const trash = path.join(project.dataDir, TRASH_FOLDER_NAME);
  const batches = await fs.readdir(trash).catch(() => [] as string[]);
  for (const batch of batches) {
    if (await fs.stat(path.join(trash, batch, JOURNAL_FILE_NAME)).then(() => true, () => false)) return true;
  }
  return false;
}
