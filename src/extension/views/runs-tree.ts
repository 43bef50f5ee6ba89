/** The Runs view: past training runs, newest first, with their error rate; opening one shows the Training panel. */
import * as vscode from "vscode";
import { findProjectDirs } from "../project";
import { listRuns, type RunSummary } from "../runs";

/** Tree data for the Runs view. */
export class RunsTreeProvider implements vscode.TreeDataProvider<RunSummary> {
  static readonly viewType = "deepfakeStudio.runs";
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.emitter.event;

  refresh(): void {
    this.emitter.fire();
  }

  async getChildren(node?: RunSummary): Promise<RunSummary[]> {
    if (node) return [];
    const [projectDir] = await findProjectDirs();
    return projectDir ? listRuns(projectDir) : [];
  }

  getTreeItem(run: RunSummary): vscode.TreeItem {
    const metrics = run.metrics;
    // The error rate leads: the run id is long and the description is what the sidebar cuts first.
    const item = new vscode.TreeItem(metrics ? `${formatPercent(metrics.errorRate)} error rate` : run.runId);
    item.id = `run:${run.runId}`;
    item.contextValue = "run";
    item.iconPath = new vscode.ThemeIcon(metrics ? "graph-line" : "warning");
    item.description = metrics ? `${metrics.epochs.length} epochs · ${run.runId}` : "metrics.json missing";
    item.tooltip = metrics
      ? `${run.runId}\nerror rate ${formatPercent(metrics.errorRate)} after ${metrics.epochs.length} epochs\nseed ${metrics.seed}, valid ${formatPercent(metrics.validPct)}\n${run.runDir}`
      : run.runDir;
    item.command = { command: "deepfakeStudio.openRun", title: "Open Run", arguments: [run.runId] };
    return item;
  }
}

/** 0.125 → "12.5%". */
export function formatPercent(value: number): string {
  return `${(value * 100).toFixed(1)}%`;
}
