/**
 * VS Code entry point: thin glue over src/core. activate() only registers commands, views and a watcher;
 * the core (sharp, tfjs, onnxruntime…) is loaded on first use, never here.
 */
import * as vscode from "vscode";
import { checkForDeepfake } from "./commands/check-commands";
import { evaluateOnFolder } from "./commands/evaluate-commands";
import { exportRun, predictImages } from "./commands/model-commands";
import { newProject, openProjectFile, chooseFakeLabel, openSettings, updateProjectContext } from "./commands/project-commands";
import { gatherImages, importImages } from "./commands/gather-commands";
import { createSpace, deployToHub, spaceOptionsOf } from "./commands/space-commands";
import { setBraveKey, setToken, signOut } from "./commands/token-commands";
import { findLearningRate, openCleaner, openRun, trainModel, useOfflineBackbone } from "./commands/train-commands";
import { StudioLog } from "./log";
import { ProjectWatcher } from "./project-watcher";
import type { Studio } from "./studio";
import { TokenStore } from "./token-store";
import { DatasetTreeProvider } from "./views/dataset-tree";
import { RunsTreeProvider } from "./views/runs-tree";
import { CheckPanel } from "./webviews/check-panel";
import { EvaluationPanel } from "./webviews/evaluation-panel";
import { CleanerPanel, CleanerViewProvider } from "./webviews/cleaner-view";
import { restoreCheckPanel } from "./webviews/restore-check-panel";
import { restoreEvaluationPanel } from "./webviews/restore-evaluation-panel";
import { restoreTrainingPanel } from "./webviews/restore-training-panel";
import { TrainingPanel } from "./webviews/training-panel";

/** What activate returns (for tests and other extensions). */
export interface DeepfakeStudioApi {
  /**
   * Milliseconds activate itself took (≈ 3 ms). Counted from this module's load instead, it also held VS Code's own
   * work before calling activate (it prepares the extension's context first): 13.5 ms on a quiet machine, 406 ms once
   * while the whole test suite ran.
   */
  activationMs: number;
}

export function activate(context: vscode.ExtensionContext): DeepfakeStudioApi {
  const started = performance.now();
  const log = new StudioLog();
  const dataset = new DatasetTreeProvider();
  const runs = new RunsTreeProvider();
  const watcher = new ProjectWatcher();
  let cleaner: CleanerViewProvider | undefined;
  const refreshViews = () => {
    dataset.refresh();
    runs.refresh();
    void cleaner?.refresh();
    void CleanerPanel.refresh();
    void updateProjectContext();
  };
  const studio: Studio = { context, extensionUri: context.extensionUri, log, tokens: new TokenStore(context.secrets), refreshViews };
  cleaner = new CleanerViewProvider(context.extensionUri, log, () => watcher.fire());

  const command = (id: string, run: (...args: never[]) => unknown) => vscode.commands.registerCommand(`deepfakeStudio.${id}`, run);
  context.subscriptions.push(
    log,
    watcher,
    watcher.onDidChange(refreshViews),
    command("newProject", () => newProject(studio)),
    command("gather", () => gatherImages(studio)),
    command("importFolder", (folder?: vscode.Uri, _selected?: unknown, label?: unknown) => importImages(studio, folder instanceof vscode.Uri ? folder : undefined, typeof label === "string" ? label : undefined)),
    command("train", () => trainModel(studio)),
    command("findLearningRate", () => findLearningRate(studio)),
    command("useOfflineBackbone", () => useOfflineBackbone(studio)),
    command("openCleaner", (category?: unknown) => openCleaner(studio, () => watcher.fire(), typeof category === "string" ? category : undefined)),
    // The evaluation panel passes { maxFpr, evaluationDir } to record its threshold (export --max-fpr); anything else is ignored.
    command("export", (run?: RunArgument, decision?: unknown) => exportRun(studio, runIdOf(run), maxFprDecisionOf(decision))),
    command("predict", (clicked?: vscode.Uri, selected?: vscode.Uri[]) => predictImages(studio, clicked, selected)),
    command("check", (clicked?: vscode.Uri, selected?: vscode.Uri[]) => checkForDeepfake(studio, clicked, selected)),
    command("evaluate", (folder?: vscode.Uri) => evaluateOnFolder(studio, folder instanceof vscode.Uri ? folder : undefined)),
    // A hint's button may pass { sdk, repo } (see next-steps.ts); anything else is ignored.
    command("createSpace", (options?: unknown) => createSpace(studio, { sdk: spaceOptionsOf(options).sdk })),
    command("deploy", (options?: unknown) => deployToHub(studio, spaceOptionsOf(options))),
    command("setToken", () => setToken(studio)),
    command("signOut", () => signOut(studio)),
    command("setBraveKey", () => setBraveKey(studio)),
    command("showLog", () => log.show()),
    command("openRun", (run?: RunArgument) => openRun(studio, runIdOf(run))),
    command("openProjectFile", () => openProjectFile(studio)),
    command("openSettings", () => openSettings()),
    command("chooseFakeLabel", () => chooseFakeLabel(studio)),
    command("refresh", () => refreshViews()),
    vscode.window.createTreeView(DatasetTreeProvider.viewType, { treeDataProvider: dataset }),
    vscode.window.createTreeView(RunsTreeProvider.viewType, { treeDataProvider: runs }),
    vscode.window.registerWebviewViewProvider(CleanerViewProvider.viewType, cleaner, { webviewOptions: { retainContextWhenHidden: true } }),
    vscode.window.registerWebviewPanelSerializer(TrainingPanel.viewType, { deserializeWebviewPanel: (panel, state) => restoreTrainingPanel(studio, panel, state) }),
    vscode.window.registerWebviewPanelSerializer(CheckPanel.viewType, { deserializeWebviewPanel: (panel, state) => restoreCheckPanel(studio, panel, state) }),
    vscode.window.registerWebviewPanelSerializer(EvaluationPanel.viewType, { deserializeWebviewPanel: (panel, state) => restoreEvaluationPanel(studio, panel, state) }),
  );
  void updateProjectContext();
  const activationMs = performance.now() - started;
  log.info(`Deepfake Studio ${context.extension.packageJSON.version as string} activated in ${activationMs.toFixed(1)} ms${vscode.workspace.isTrusted ? "" : " (Restricted Mode: read-only)"}.`);
  return { activationMs };
}

export function deactivate(): void {}

/** A run id (palette, webview) or the Runs view's tree element (context menus pass the element). */
type RunArgument = string | { runId?: unknown };

/** `{ maxFpr, evaluationDir }` when that is what was passed; export reads and checks the evaluation itself. */
function maxFprDecisionOf(value: unknown): { maxFpr: number; evaluationDir: string } | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const { maxFpr, evaluationDir } = value as { maxFpr?: unknown; evaluationDir?: unknown };
  return typeof maxFpr === "number" && typeof evaluationDir === "string" && evaluationDir.length > 0 ? { maxFpr, evaluationDir } : undefined;
}

function runIdOf(run: RunArgument | undefined): string | undefined {
  if (typeof run === "string") return run;
  return typeof run?.runId === "string" ? run.runId : undefined;
}
