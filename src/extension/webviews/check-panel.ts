/**
 * The "Check for Deepfake" panel: the verdict in words that do not overclaim, the timeline (fake probability per
 * second), the worst frames as thumbnails that seek the <video> to their moment, and the report folder.
 * Same rules as the other webviews: strict CSP with a nonce, files only through asWebviewUri, typed protocol.
 * After a window reload VS Code hands the panel back (restore-check-panel.ts) with the paths its webview saved.
 */
import * as path from "node:path";
import * as vscode from "vscode";
import type { MediaCheck } from "../../core/check/check-types";
import { parseCheckFromWebview, type CheckPanelState, type CheckToWebview } from "../../shared/check-protocol";
import type { StudioLog } from "../log";
import { checkViewOf } from "./check-view";
import { localRoots, renderWebviewHtml } from "./webview-html";

/** A restored check whose report cannot be shown: the checked file, why, and the state to keep for the next reload. */
export interface LostCheck {
  file: string;
  reason: string;
  /** The checked file still exists. */
  canCheckAgain: boolean;
  state: CheckPanelState;
}

/** What a panel shows: a check, or why a restored one cannot be shown. */
export type CheckPanelContent = { check: MediaCheck } | { lost: LostCheck };

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
    private content: CheckPanelContent,
  ) {
    panel.iconPath = vscode.Uri.joinPath(extensionUri, "media", "studio.svg");
    this.render();
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((message: unknown) => this.receive(message)),
    );
    CheckPanel.open.set(this.file, this);
  }

  /** Shows the check of one file, in its own panel. */
  static show(extensionUri: vscode.Uri, log: StudioLog, check: MediaCheck): CheckPanel {
    const existing = CheckPanel.open.get(check.file);
    if (existing) {
      existing.content = { check };
      existing.ready = false;
      existing.render();
      existing.panel.reveal(undefined, false);
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(CheckPanel.viewType, titleOf(check.file), vscode.ViewColumn.Active, {
      enableScripts: true,
      // The <video> keeps its position while the panel is in the background.
      retainContextWhenHidden: true,
      localResourceRoots: rootsOf(extensionUri, { check }),
    });
    return new CheckPanel(panel, extensionUri, log, { check });
  }

  /** Takes over a panel VS Code restored after a reload (registerWebviewPanelSerializer). */
  static revive(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, log: StudioLog, content: CheckPanelContent): CheckPanel {
    return new CheckPanel(panel, extensionUri, log, content);
  }

  private get file(): string {
    return "check" in this.content ? this.content.check.file : this.content.lost.file;
  }

  private render(): void {
    const { webview } = this.panel;
    webview.options = { enableScripts: true, localResourceRoots: rootsOf(this.extensionUri, this.content) };
    this.panel.title = titleOf(this.file);
    webview.html = renderWebviewHtml({
      webview,
      extensionUri: this.extensionUri,
      title: titleOf(this.file),
      script: "check.js",
      style: "check.css",
      body: '<main id="app" aria-busy="true"><p class="notice">Loading…</p></main>',
      allowMedia: true,
    });
  }

  private post(message: CheckToWebview): void {
    if (this.ready) void this.panel.webview.postMessage(message);
  }

  /** The content as a message; the webview saves `state` for the next reload. */
  private message(): CheckToWebview {
    if ("lost" in this.content) {
      const { file, reason, canCheckAgain, state } = this.content.lost;
      return { type: "check/lost", lost: { fileName: path.basename(file), reason, canCheckAgain }, state };
    }
    const { check } = this.content;
    const view = checkViewOf(check, (file) => this.panel.webview.asWebviewUri(vscode.Uri.file(file)).toString());
    return { type: "check/view", view, ...(check.report ? { state: { file: check.file, reportJson: check.report.json } } : {}) };
  }

  private async receive(raw: unknown): Promise<void> {
    const message = parseCheckFromWebview(raw);
    if (!message) {
      this.log.warn("Check panel: ignored a malformed message from the webview.");
      return;
    }
    const report = "check" in this.content ? this.content.check.report : undefined;
    switch (message.type) {
      case "check/ready":
        this.ready = true;
        this.post(this.message());
        break;
      case "check/openReport":
        if (report) await vscode.commands.executeCommand("markdown.showPreview", vscode.Uri.file(report.markdown));
        break;
      case "check/revealReport":
        if (report) await vscode.commands.executeCommand("revealFileInOS", vscode.Uri.file(report.markdown));
        break;
      case "check/checkAgain":
        // The path is the panel's own (validated when restored), never one the message could carry.
        if ("lost" in this.content && this.content.lost.canCheckAgain) await vscode.commands.executeCommand("deepfakeStudio.check", vscode.Uri.file(this.content.lost.file));
        break;
      default: {
        const unreachable: never = message;
        void unreachable;
      }
    }
  }

  dispose(): void {
    if (CheckPanel.open.get(this.file) === this) CheckPanel.open.delete(this.file);
    this.panel.dispose();
    while (this.disposables.length > 0) this.disposables.pop()?.dispose();
  }
}

/** What the webview may load: the bundles, the checked file's folder and the report folder (nothing else for a lost check). */
function rootsOf(extensionUri: vscode.Uri, content: CheckPanelContent): vscode.Uri[] {
  if ("lost" in content) return localRoots(extensionUri);
  const { check } = content;
  return localRoots(extensionUri, [vscode.Uri.file(path.dirname(check.file)), ...(check.report ? [vscode.Uri.file(check.report.dir)] : [])]);
}

function titleOf(file: string): string {
  return `Check: ${path.basename(file)}`;
}
