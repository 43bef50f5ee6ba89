/**
 * The "Check for Deepfake" panel: the verdict in words that do not overclaim, the timeline (fake probability per
 * second), the worst frames as thumbnails that seek the <video> to their moment, and the report folder.
 * Same rules as the other webviews: strict CSP with a nonce, files only through asWebviewUri, typed protocol.
 */
import * as path from "node:path";
import * as vscode from "vscode";
import type { MediaCheck } from "../../core/check/check-types";
import { parseCheckFromWebview, type CheckToWebview, type CheckView } from "../../shared/check-protocol";
import type { StudioLog } from "../log";
import { localRoots, renderWebviewHtml } from "./webview-html";

/** One panel per checked file; checking the file again refreshes its panel. */
export class CheckPanel implements vscode.Disposable {
  static readonly viewType = "deepfakeStudio.check";
  private static readonly open = new Map<string, CheckPanel>();
  private ready = false;
  private readonly disposables: vscode.Disposable[] = [];

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly extensionUri: vscode.Uri,
    private readonly log: StudioLog,
    private check: MediaCheck,
  ) {
    panel.iconPath = vscode.Uri.joinPath(extensionUri, "media", "studio.svg");
    this.render();
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((message: unknown) => this.receive(message)),
    );
  }

  /** Shows the check of one file, in its own panel. */
  static show(extensionUri: vscode.Uri, log: StudioLog, check: MediaCheck): CheckPanel {
    const existing = CheckPanel.open.get(check.file);
    if (existing) {
      existing.check = check;
      existing.ready = false;
      existing.render();
      existing.panel.reveal(undefined, false);
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(CheckPanel.viewType, titleOf(check), vscode.ViewColumn.Active, {
      enableScripts: true,
      // The <video> keeps its position while the panel is in the background.
      retainContextWhenHidden: true,
      localResourceRoots: rootsOf(extensionUri, check),
    });
    const created = new CheckPanel(panel, extensionUri, log, check);
    CheckPanel.open.set(check.file, created);
    return created;
  }

  private render(): void {
    const { webview } = this.panel;
    webview.options = { enableScripts: true, localResourceRoots: rootsOf(this.extensionUri, this.check) };
    this.panel.title = titleOf(this.check);
    webview.html = renderWebviewHtml({
      webview,
      extensionUri: this.extensionUri,
      title: titleOf(this.check),
      script: "check.js",
      style: "check.css",
      body: '<main id="app" aria-busy="true"><p class="notice">Loading…</p></main>',
      allowMedia: true,
    });
  }

  private post(message: CheckToWebview): void {
    if (this.ready) void this.panel.webview.postMessage(message);
  }

  private async receive(raw: unknown): Promise<void> {
    const message = parseCheckFromWebview(raw);
    if (!message) {
      this.log.warn("Check panel: ignored a malformed message from the webview.");
      return;
    }
    const report = this.check.report;
    switch (message.type) {
      case "check/ready":
        this.ready = true;
        this.post({ type: "check/view", view: viewOf(this.check, this.panel.webview) });
        break;
      case "check/openReport":
        if (report) await vscode.commands.executeCommand("markdown.showPreview", vscode.Uri.file(report.markdown));
        break;
      case "check/revealReport":
        if (report) await vscode.commands.executeCommand("revealFileInOS", vscode.Uri.file(report.markdown));
        break;
      default: {
        const unreachable: never = message;
        void unreachable;
      }
    }
  }

  dispose(): void {
    if (CheckPanel.open.get(this.check.file) === this) CheckPanel.open.delete(this.check.file);
    this.panel.dispose();
    while (this.disposables.length > 0) this.disposables.pop()?.dispose();
  }
}

/** What the webview may load: the bundles, the checked file's folder and the report folder. */
function rootsOf(extensionUri: vscode.Uri, check: MediaCheck): vscode.Uri[] {
  return localRoots(extensionUri, [vscode.Uri.file(path.dirname(check.file)), ...(check.report ? [vscode.Uri.file(check.report.dir)] : [])]);
}

function titleOf(check: MediaCheck): string {
  return `Check: ${path.basename(check.file)}`;
}

/** The panel's view of a core check: only what it draws, with webview URIs for the files. */
function viewOf(check: MediaCheck, webview: vscode.Webview): CheckView {
  const { summary } = check;
  return {
    fileName: path.basename(check.file),
    kind: check.kind,
    mediaSrc: webview.asWebviewUri(vscode.Uri.file(check.file)).toString(),
    verdict: { level: check.verdict.level, headline: check.verdict.headline, text: check.verdict.text },
    fakeLabel: check.model.fakeLabel,
    threshold: check.threshold,
    ...(check.video ? { fps: check.video.sampledFps } : {}),
    ...(check.video?.durationSeconds !== undefined ? { durationSeconds: check.video.durationSeconds } : {}),
    counts: {
      frames: summary.frames,
      framesWithFaces: summary.framesWithFaces,
      framesWithoutFaces: summary.framesWithoutFaces,
      faces: summary.faces,
      facesAboveThreshold: summary.facesAboveThreshold,
    },
    perSecond: summary.perSecond,
    worst: summary.worst.flatMap((moment) => (moment.image ? [{ time: moment.time, probability: moment.probability, src: webview.asWebviewUri(vscode.Uri.file(moment.image)).toString() }] : [])),
    noFaceRanges: summary.noFaceRanges,
    warnings: check.warnings,
  };
}
