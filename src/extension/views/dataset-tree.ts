/** The Dataset view: categories with image counts, and train/valid counts from the latest run's predictions.json. */
import * as path from "node:path";
import * as vscode from "vscode";
import { loadCore } from "../core";
import { findProjectDirs, loadProject } from "../project";
import { listRuns, readPredictions } from "../runs";

type DatasetNode =
  | { kind: "category"; label: string; folder: string; count: number; split?: { train: number; valid: number; runId: string } }
  | { kind: "split"; split: "train" | "valid"; label: string; count: number; runId: string }
  | { kind: "message"; text: string; detail?: string };

/** Tree data for the Dataset view; refresh() is called by the project watcher and after each command. */
export class DatasetTreeProvider implements vscode.TreeDataProvider<DatasetNode> {
  static readonly viewType = "deepfakeStudio.dataset";
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.emitter.event;

  refresh(): void {
    this.emitter.fire();
  }

  async getChildren(node?: DatasetNode): Promise<DatasetNode[]> {
    if (node?.kind === "category" && node.split) {
      return (["train", "valid"] as const).map((split) => ({ kind: "split", split, label: node.label, count: node.split![split], runId: node.split!.runId }));
    }
    if (node) return [];
    const [projectDir] = await findProjectDirs();
    await vscode.commands.executeCommand("setContext", "deepfakeStudio.hasProject", projectDir !== undefined);
    if (!projectDir) return []; // the view's welcome content offers New Project
    try {
      return await this.categories(projectDir);
    } catch (error) {
      return [{ kind: "message", text: "Cannot read the project", detail: (error as Error).message }];
    }
  }

  private async categories(projectDir: string): Promise<DatasetNode[]> {
    const project = await loadProject(projectDir);
    const { listTrainingImages, labelToFolderName } = await loadCore();
    const labels = project.config.categories.map((category) => category.label);
    const images = await listTrainingImages({ dataDir: project.dataDir, labels });
    const [latest] = await listRuns(projectDir);
    const predictions = latest ? await readPredictions(latest.runDir) : [];
    return labels.map((label) => {
      const mine = images.filter((image) => image.label === label);
      const folder = path.join(project.dataDir, labelToFolderName(label));
      const ofLabel = predictions.filter((prediction) => prediction.label === label);
      const split = latest && predictions.length > 0
        ? { runId: latest.runId, train: ofLabel.filter((p) => p.split === "train").length, valid: ofLabel.filter((p) => p.split === "valid").length }
        : undefined;
      return { kind: "category", label, folder, count: mine.length, split };
    });
  }

  getTreeItem(node: DatasetNode): vscode.TreeItem {
    switch (node.kind) {
      case "category": {
        const item = new vscode.TreeItem(node.label, node.split ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
        item.description = `${node.count} image${node.count === 1 ? "" : "s"}`;
        item.tooltip = `${node.label}: ${node.count} images in ${node.folder}${node.split ? `\nRun ${node.split.runId}: ${node.split.train} train / ${node.split.valid} valid` : ""}\nClick to review them in the Cleaner.`;
        item.iconPath = new vscode.ThemeIcon("folder-library");
        item.contextValue = "category";
        item.id = `category:${node.label}`;
        item.resourceUri = vscode.Uri.file(node.folder);
        // The Cleaner on this category, highest loss first (revealing the folder would leave this view for the Explorer).
        item.command = { command: "deepfakeStudio.openCleaner", title: "Open Cleaner", arguments: [node.label] };
        return item;
      }
      case "split": {
        const item = new vscode.TreeItem(node.split === "train" ? "Train" : "Valid");
        item.description = `${node.count}`;
        item.tooltip = `${node.count} ${node.label} images in the ${node.split} split of run ${node.runId}`;
        item.iconPath = new vscode.ThemeIcon(node.split === "train" ? "mortar-board" : "beaker");
        item.id = `split:${node.label}:${node.split}`;
        return item;
      }
      case "message": {
        const item = new vscode.TreeItem(node.text);
        item.description = node.detail;
        item.tooltip = node.detail;
        item.iconPath = new vscode.ThemeIcon("warning");
        return item;
      }
      default: {
        const unreachable: never = node;
        return unreachable;
      }
    }
  }
}
