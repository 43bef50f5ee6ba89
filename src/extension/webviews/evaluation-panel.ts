/**
 * The "Evaluate on Folder" panel: the numbers of one evaluation, the ROC curve and the reliability diagram drawn as
 * inline SVG by the webview from numbers, and buttons to open the report. Same rules as the other webviews: strict
 * CSP with a nonce, typed and validated messages, no file access beyond the extension's bundles.
 * After a window reload VS Code hands the panel back (restore-evaluation-panel.ts) with the path its webview saved.
 */
import * as vscode from "vscode";
import type { Evaluation } from "../../core/evaluate/evaluation-types";
import { parseEvaluationFromWebview, type EvaluationPanelState, type EvaluationToWebview } from "../../shared/evaluation-protocol";
import type { StudioLog } from "../log";
import { evaluationViewOf, thresholdExportOf } from "./evaluation-view";
import { localRoots, renderWebviewHtml } from "./webview-html";

/** A restored evaluation that cannot be shown: a title, why, and the state to keep for the next reload. */
export interface LostEvaluation {
  title: string;
  reason: string;
  state: EvaluationPanelState;
}

/** What a panel shows: an evaluation, or why a restored one cannot be shown. */
export type EvaluationPanelContent = { evaluation: Evaluation } | { lost: LostEvaluation };

export class EvaluationPanel implements vscode.Disposable {
  static readonly viewType = "deepfakeStudio.evaluation";
  private readonly disposables: vscode.Disposable[] = [];

  private constructor(private readonly panel: vscode.WebviewPanel, private readonly log: StudioLog, private readonly content: EvaluationPanelContent, extensionUri: vscode.Uri) {
    panel.iconPath = vscode.Uri.joinPath(extensionUri, "media", "studio.svg");
    panel.title = `Evaluation: ${"lost" in content ? content.lost.title : evaluationViewOf(content.evaluation).title}`;
    panel.webview.options = { enableScripts: true, localResourceRoots: localRoots(extensionUri) };
    panel.webview.html = renderWebviewHtml({ webview: panel.webview, extensionUri, title: panel.title, script: "evaluation.js", style: "evaluation.css", body: '<main id="app" aria-busy="true"><p class="notice">Loading…</p></main>' });
    this.disposables.push(panel.onDidDispose(() => this.dispose()), panel.webview.onDidReceiveMessage((message: unknown) => this.receive(message)));
  }

  /** Opens a panel for one evaluation. */
  static show(extensionUri: vscode.Uri, log: StudioLog, evaluation: Evaluation): EvaluationPanel {
    const title = `Evaluation: ${evaluationViewOf(evaluation).title}`;
    const panel = vscode.window.createWebviewPanel(EvaluationPanel.viewType, title, vscode.ViewColumn.Active, { enableScripts: true, localResourceRoots: localRoots(extensionUri) });
    return new EvaluationPanel(panel, log, { evaluation }, extensionUri);
  }

  /** Takes over a panel VS Code restored after a reload (registerWebviewPanelSerializer). */
  static revive(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, log: StudioLog, content: EvaluationPanelContent): EvaluationPanel {
    return new EvaluationPanel(panel, log, content, extensionUri);
  }

  /** The content as a message; the webview saves `state` for the next reload. */
  private message(): EvaluationToWebview {
    if ("lost" in this.content) {
      const { title, reason, state } = this.content.lost;
      return { type: "evaluation/lost", lost: { title, reason }, state };
    }
    const { evaluation } = this.content;
    return { type: "evaluation/view", view: evaluationViewOf(evaluation), ...(evaluation.files ? { state: { json: evaluation.files.json } } : {}) };
  }

  private async receive(raw: unknown): Promise<void> {
    const message = parseEvaluationFromWebview(raw);
    if (!message) {
      this.log.warn("Evaluation panel: ignored a malformed message from the webview.");
      return;
    }
    const files = "evaluation" in this.content ? this.content.evaluation.files : undefined;
    switch (message.type) {
      case "evaluation/ready":
        await this.panel.webview.postMessage(this.message());
        break;
      case "evaluation/openReport":
        if (files) await vscode.commands.executeCommand("markdown.showPreview", vscode.Uri.file(files.markdown));
        break;
      case "evaluation/revealReport":
        if (files) await vscode.commands.executeCommand("revealFileInOS", vscode.Uri.file(files.markdown));
        break;
      case "evaluation/exportWithThreshold": {
        // Export reads this evaluation back from its folder and refuses it when it scored another run.
        const request = "evaluation" in this.content ? thresholdExportOf(this.content.evaluation) : undefined;
        if (request) await vscode.commands.executeCommand("deepfakeStudio.export", request.runId, { maxFpr: request.maxFpr, evaluationDir: request.evaluationDir });
        break;
      }
      default: {
        const unreachable: never = message;
        void unreachable;
      }
    }
  }

  dispose(): void {
    this.panel.dispose();
    while (this.disposables.length > 0) this.disposables.pop()?.dispose();
  }
}
