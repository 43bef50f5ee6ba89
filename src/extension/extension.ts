/** VS Code entry point: thin glue over src/core. Heavy modules load on first use, not at activation. */
import * as vscode from "vscode";

export function activate(context: vscode.ExtensionContext): void {
  context.subscriptions.push(vscode.commands.registerCommand("deepfakeStudio.newProject", newProject));
}

export function deactivate(): void {}

/** Writes deepfake-studio.json with the defaults into the first workspace folder. */
async function newProject(): Promise<void> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) {
    void vscode.window.showErrorMessage("Open a folder first: the project file is written into the workspace.");
    return;
  }
  const { initProject } = await import("../core/project/project-config");
  try {
    const file = await initProject({ projectDir: folder.uri.fsPath });
    await vscode.window.showTextDocument(vscode.Uri.file(file));
  } catch (error) {
    void vscode.window.showErrorMessage((error as Error).message);
  }
}
