/** One FileSystemWatcher per workspace folder for the project file, the data folder and runs/; views refresh on it. */
import * as path from "node:path";
import * as vscode from "vscode";
import { PROJECT_FILE } from "./project";

/** Folders whose changes are noise for the views (feature cache, temp writes). */
const IGNORED = /(^|[\\/])(\.deepfake-studio|\.tmp[^\\/]*|node_modules|\.git)([\\/]|$)/;

/** Fires `onDidChange` (debounced) when project files, images or runs change. */
export class ProjectWatcher implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.emitter.event;
  private readonly disposables: vscode.Disposable[] = [this.emitter];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly delayMs = 300) {
    const watcher = vscode.workspace.createFileSystemWatcher("**/*");
    const changed = (uri: vscode.Uri) => this.changed(uri);
    this.disposables.push(watcher, watcher.onDidCreate(changed), watcher.onDidDelete(changed), watcher.onDidChange(changed));
    this.disposables.push(vscode.workspace.onDidChangeWorkspaceFolders(() => this.fire()));
    this.disposables.push(vscode.workspace.onDidGrantWorkspaceTrust(() => this.fire()));
    this.disposables.push(vscode.workspace.onDidChangeConfiguration((event) => event.affectsConfiguration("deepfakeStudio") && this.fire()));
  }

  /** Refresh now-ish (commands call this after they change files, so views never wait for the OS). */
  fire(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.emitter.fire();
    }, this.delayMs);
  }

  private changed(uri: vscode.Uri): void {
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    if (!folder) return;
    const relative = path.relative(folder.uri.fsPath, uri.fsPath);
    if (IGNORED.test(relative)) return;
    // The project file, images (data folder is configurable, so any image or manifest), runs/.
    if (relative === PROJECT_FILE || /\.(jpe?g|png|webp|gif|tiff?|avif|jsonl|json)$/i.test(relative) || relative.split(path.sep)[0] === "runs" || !path.extname(relative)) this.fire();
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const disposable of this.disposables) disposable.dispose();
  }
}
