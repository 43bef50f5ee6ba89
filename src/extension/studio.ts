/** What every command needs: the extension's folder, the log, the token store and a way to refresh the views. */
import type * as vscode from "vscode";
import type { StudioLog } from "./log";
import type { TokenStore } from "./token-store";

export interface Studio {
  context: vscode.ExtensionContext;
  extensionUri: vscode.Uri;
  log: StudioLog;
  tokens: TokenStore;
  /** Refreshes the Dataset, Runs and Cleaner views (after a command changed files). */
  refreshViews(): void;
}
