/**
 * The Cleaner view: fastai's ImageClassifierCleaner in a webview. The webview only records keep/delete/relabel
 * choices; Apply hands them to core applyCleaning (which validates every path), Undo to undoLastCleaning.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import type { CleaningDecision } from "../../core/clean/cleaning-decision";
import { assertNever, parseCleanerFromWebview, type CleanerItem, type CleanerMaps, type CleanerState, type CleanerToWebview, type Choice } from "../../shared/protocol";
import { loadCore, loadHeavyCore } from "../core";
import { asStudioError, requireTrust } from "../errors";
import type { StudioLog } from "../log";
import { findProjectDirs, loadProject, pickProjectDir, type Project } from "../project";
import { runTask } from "../run-task";
import { listRuns } from "../runs";
import { localRoots, renderWebviewHtml } from "./webview-html";

/**
 * The cleaner's logic for one webview: the sidebar view and the editor-area panel each have one, so both show the
 * same state and either can apply or undo.
 */
class CleanerController {
  private dataDir: string | undefined;
  private optionsSet = false;
  /** The webview said it is ready: messages posted now arrive. */
  private ready = false;
  /** The category to show once the webview is ready (Dataset view → a category, before the panel loaded). */
  private pendingCategory: string | undefined;
  /** The last state sent (its run and pictures are what the maps are drawn for). */
  private state: CleanerState | undefined;
  /** Maps already drawn, per run: toggling again, or a refresh of the same run, costs nothing. */
  private maps: CleanerMaps | undefined;

  constructor(
    private readonly webview: vscode.Webview,
    private readonly extensionUri: vscode.Uri,
    private readonly log: StudioLog,
    /** Called after Apply/Undo changed files, so the other views refresh at once. */
    private readonly onDatasetChanged: () => void,
    /** The data folder when known up front: its thumbnails load without the webview reloading for new roots. */
    dataDir?: string,
  ) {
    this.setOptions(dataDir);
    webview.html = renderWebviewHtml({
      webview,
      extensionUri,
      title: "Cleaner",
      script: "cleaner.js",
      style: "cleaner.css",
      body: '<main id="app" aria-busy="true"><p class="notice">Loading…</p></main>',
    });
  }

  /** Shows `category` (with the state, or at once when the webview already has it). */
  showCategory(category: string): void {
    if (this.ready) this.post({ type: "cleaner/show", category });
    else this.pendingCategory = category;
  }

  /** Rebuilds the state from disk and sends it. */
  async refresh(): Promise<void> {
    const state = await this.buildState().catch((error: unknown): CleanerState => ({ labels: [], items: [], canUndo: false, readOnly: true, notice: (error as Error).message }));
    this.state = state;
    this.post({ type: "cleaner/state", state });
  }

  private setOptions(dataDir: string | undefined): void {
    if (this.optionsSet && this.dataDir === dataDir) return;
    this.optionsSet = true;
    this.dataDir = dataDir;
    this.webview.options = { enableScripts: true, localResourceRoots: localRoots(this.extensionUri, dataDir ? [vscode.Uri.file(dataDir)] : []) };
  }

  private post(message: CleanerToWebview): void {
    void this.webview.postMessage(message);
  }

  async receive(raw: unknown): Promise<void> {
    const message = parseCleanerFromWebview(raw);
    if (!message) {
      this.log.warn("Cleaner: ignored a malformed message from the webview.");
      return;
    }
    switch (message.type) {
      case "cleaner/ready":
        this.ready = true;
        await this.refresh();
        if (this.pendingCategory !== undefined) this.post({ type: "cleaner/show", category: this.pendingCategory });
        this.pendingCategory = undefined;
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
      case "cleaner/maps":
        await this.sendMaps();
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
    const webview = this.webview;
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

  /** The run's maps of every picture the cleaner lists (computed once per run, on the first toggle). */
  private async sendMaps(): Promise<void> {
    const state = this.state;
    const runId = state?.runId;
    if (!state || !runId) return;
    const pictures = state.items.map((item) => ({ file: item.file, predicted: item.predicted }));
    const cached = this.maps;
    if (cached?.runId === runId && pictures.every((picture) => cached.items.some((item) => item.file === picture.file))) {
      this.post({ type: "cleaner/maps", maps: cached });
      return;
    }
    this.post({ type: "cleaner/busy", message: `Drawing where the model looked on ${pictures.length} picture(s)…` });
    const maps = await runTask(this.log, "Drawing where the model looked", async ({ signal, onProgress }) => {
      const project = await loadProject(await pickProjectDir({ quiet: true }));
      const { computeRunMaps, describeRunMaps } = await loadHeavyCore();
      const computed = await computeRunMaps({ projectDir: project.projectDir, config: project.config, runId, pictures, signal, onProgress });
      const note = describeRunMaps(computed);
      return computed.available
        ? { runId, height: computed.height, width: computed.width, ...(computed.face ? { face: computed.face } : {}), items: computed.items, note }
        : { runId, height: 0, width: 0, items: [], note };
    });
    if (maps) {
      this.maps = maps;
      // The webview shows the maps' note above the grid; the status line only reports a failure.
      this.post({ type: "cleaner/maps", maps });
      this.post({ type: "cleaner/result", ok: true, message: "", clearChoices: false });
    } else {
      this.post({ type: "cleaner/result", ok: false, message: "Where the model looked could not be drawn; see the log.", clearChoices: false });
    }
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
      // Ticks the walkthrough's Clean step (its completion event): a cleaning was really applied.
      await vscode.commands.executeCommand("setContext", "deepfakeStudio.cleaned", true);
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

/** Provides the webview of the Cleaner view (the sidebar). */
export class CleanerViewProvider implements vscode.WebviewViewProvider {
  static readonly viewType = "deepfakeStudio.cleaner";
  private controller: CleanerController | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: StudioLog,
    private readonly onDatasetChanged: () => void,
  ) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    const controller = new CleanerController(view.webview, this.extensionUri, this.log, this.onDatasetChanged);
    this.controller = controller;
    view.webview.onDidReceiveMessage((message: unknown) => controller.receive(message));
    view.onDidChangeVisibility(() => view.visible && void controller.refresh());
    view.onDidDispose(() => {
      if (this.controller === controller) this.controller = undefined;
    });
  }

  /** Rebuilds the state from disk and sends it (no-op while the view is not open). */
  async refresh(): Promise<void> {
    await this.controller?.refresh();
  }
}

/**
 * The Cleaner in the editor area: room for many rows of thumbnails. One panel, revealed by Open Cleaner (palette,
 * Training panel, walkthrough, a Dataset category), which always shows something, unlike focusing a view already open.
 */
export class CleanerPanel {
  static readonly viewType = "deepfakeStudio.cleanerPanel";
  private static current: CleanerPanel | undefined;

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly controller: CleanerController,
  ) {}

  /** Opens the panel or brings it to the front; with `category`, shows that category. */
  static async show(params: { extensionUri: vscode.Uri; log: StudioLog; onDatasetChanged: () => void; category?: string }): Promise<void> {
    let current = CleanerPanel.current;
    if (current) {
      current.panel.reveal(undefined, false);
    } else {
      const dataDir = await projectDataDir();
      const roots = localRoots(params.extensionUri, dataDir ? [vscode.Uri.file(dataDir)] : []);
      const panel = vscode.window.createWebviewPanel(CleanerPanel.viewType, "Cleaner", vscode.ViewColumn.Active, { enableScripts: true, retainContextWhenHidden: true, localResourceRoots: roots });
      panel.iconPath = vscode.Uri.joinPath(params.extensionUri, "media", "studio.svg");
      const controller = new CleanerController(panel.webview, params.extensionUri, params.log, params.onDatasetChanged, dataDir);
      current = new CleanerPanel(panel, controller);
      CleanerPanel.current = current;
      const created = current;
      panel.webview.onDidReceiveMessage((message: unknown) => controller.receive(message));
      panel.onDidDispose(() => {
        if (CleanerPanel.current === created) CleanerPanel.current = undefined;
      });
    }
    if (params.category !== undefined) current.controller.showCategory(params.category);
  }

  /** Rebuilds the open panel's state (no-op when none is open). */
  static async refresh(): Promise<void> {
    await CleanerPanel.current?.controller.refresh();
  }
}

/** The first project's data folder, if it can be read (else the cleaner says why once it loads). */
async function projectDataDir(): Promise<string | undefined> {
  const [projectDir] = await findProjectDirs();
  return projectDir ? loadProject(projectDir).then((project) => project.dataDir, () => undefined) : undefined;
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
