/** The Training panel: loss curves, error rate per epoch and the confusion matrix of one run; live during Train. */
import * as vscode from "vscode";
import type { ProgressEvent } from "../../core/shared/progress";
import { assertNever, parseTrainingFromWebview, type EpochView, type RunView, type TrainingProgress, type TrainingToWebview } from "../../shared/protocol";
import type { StudioLog } from "../log";
import { localRoots, renderWebviewHtml } from "./webview-html";

/** One panel, reused for whichever run is shown (webview-sample's currentPanel pattern). */
export class TrainingPanel implements vscode.Disposable {
  static readonly viewType = "deepfakeStudio.training";
  private static current: TrainingPanel | undefined;
  private run: RunView;
  private ready = false;
  private progress: TrainingProgress | undefined;
  private lastProgressPost = 0;
  private readonly disposables: vscode.Disposable[] = [];

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly extensionUri: vscode.Uri,
    private readonly log: StudioLog,
    run: RunView,
  ) {
    this.run = run;
    panel.webview.options = { enableScripts: true, localResourceRoots: localRoots(extensionUri) };
    panel.iconPath = vscode.Uri.joinPath(extensionUri, "media", "studio.svg");
    this.render();
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((message: unknown) => this.receive(message)),
    );
  }

  /** Shows `run` in the panel (creating it if needed). */
  static show(extensionUri: vscode.Uri, log: StudioLog, run: RunView): TrainingPanel {
    const existing = TrainingPanel.current;
    if (existing) {
      existing.panel.reveal(undefined, true);
      existing.setRun(run);
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(TrainingPanel.viewType, title(run), { viewColumn: vscode.ViewColumn.Active, preserveFocus: true }, { enableScripts: true, retainContextWhenHidden: true, localResourceRoots: localRoots(extensionUri) });
    TrainingPanel.current = new TrainingPanel(panel, extensionUri, log, run);
    return TrainingPanel.current;
  }

  /** Re-creates the panel after a reload (registerWebviewPanelSerializer). */
  static revive(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, log: StudioLog, run: RunView): void {
    TrainingPanel.current?.dispose();
    TrainingPanel.current = new TrainingPanel(panel, extensionUri, log, run);
  }

  /** Replaces the whole run shown. */
  setRun(run: RunView): void {
    this.run = run;
    this.progress = undefined;
    this.panel.title = title(run);
    this.post({ type: "training/run", run });
  }

  /**
   * Shows what a running training does before its first epoch (core's phase and progress events): the phase's
   * words and, for counted work (feature vectors), a bar. Counts are posted at most every 100 ms, and the last one.
   */
  reportProgress(event: ProgressEvent): void {
    if (event.event === "phase") {
      this.progress = { message: event.message };
    } else if (event.event === "progress" && event.total) {
      this.progress = { message: this.progress?.message ?? "", done: event.done, total: event.total, unit: event.message };
      const now = Date.now();
      if (event.done < event.total && now - this.lastProgressPost < 100) return;
      this.lastProgressPost = now;
    } else {
      return;
    }
    this.post({ type: "training/progress", progress: this.progress });
  }

  /** Adds one epoch row (live training). */
  addEpoch(epoch: EpochView): void {
    this.run = { ...this.run, epochs: [...this.run.epochs, epoch] };
    this.post({ type: "training/epoch", runId: this.run.runId, epoch, totalEpochs: this.run.totalEpochs });
  }

  private render(): void {
    this.panel.title = title(this.run);
    this.panel.webview.html = renderWebviewHtml({
      webview: this.panel.webview,
      extensionUri: this.extensionUri,
      title: "Training",
      script: "training.js",
      style: "training.css",
      body: '<main id="app" aria-busy="true"><p class="notice">Loading…</p></main>',
    });
  }

  private post(message: TrainingToWebview): void {
    if (this.ready) void this.panel.webview.postMessage(message);
  }

  private async receive(raw: unknown): Promise<void> {
    const message = parseTrainingFromWebview(raw);
    if (!message) {
      this.log.warn("Training panel: ignored a malformed message from the webview.");
      return;
    }
    switch (message.type) {
      case "training/ready":
        this.ready = true;
        this.post({ type: "training/run", run: this.run });
        if (this.progress && this.run.status === "running") this.post({ type: "training/progress", progress: this.progress });
        break;
      case "training/openCleaner":
        await vscode.commands.executeCommand("deepfakeStudio.openCleaner");
        break;
      case "training/export":
        await vscode.commands.executeCommand("deepfakeStudio.export", message.runId);
        break;
      default:
        assertNever(message);
    }
  }

  dispose(): void {
    if (TrainingPanel.current === this) TrainingPanel.current = undefined;
    this.panel.dispose();
    while (this.disposables.length > 0) this.disposables.pop()?.dispose();
  }
}

function title(run: RunView): string {
  // A run that failed or was cancelled has no id of its own ("Run new run" said nothing).
  const titles: Record<RunView["status"], string> = { running: "Training…", failed: "Training failed", cancelled: "Training cancelled", done: `Run ${run.runId}` };
  return titles[run.status];
}
