/** Shows failures as messages with an action button; stack traces go to the log only, never to a message. */
import * as vscode from "vscode";
import type { StudioLog } from "./log";

/** The shape of core's StudioError (checked by shape: the core is loaded lazily, possibly from another bundle). */
export interface StudioErrorLike {
  message: string;
  code: string;
  hint?: string;
}

/** The StudioError behind `error`, if it is one. */
export function asStudioError(error: unknown): StudioErrorLike | undefined {
  if (!(error instanceof Error)) return undefined;
  const { code, hint } = error as Error & { code?: unknown; hint?: unknown };
  if (typeof code !== "string" || !/^[a-z][a-z0-9-]*$/.test(code)) return undefined;
  return { message: error.message, code, hint: typeof hint === "string" ? hint : undefined };
}

/** A button under an error message and the command it runs. */
interface ErrorAction {
  title: string;
  command: string;
}

const SHOW_LOG: ErrorAction = { title: "Show log", command: "deepfakeStudio.showLog" };

/** The button that helps most for an error code. */
export function actionFor(code: string): ErrorAction {
  switch (code) {
    case "hub-token-missing":
    case "hub-token-invalid":
    case "hub-forbidden":
      return { title: "Set token", command: "deepfakeStudio.setToken" };
    case "config-invalid":
    case "nothing-to-gather":
    case "unknown-category":
      return { title: "Open project file", command: "deepfakeStudio.openProjectFile" };
    case "no-project":
      return { title: "New Project", command: "deepfakeStudio.newProject" };
    case "too-few-categories":
    case "too-few-images":
    case "empty-split":
      return { title: "Gather Images", command: "deepfakeStudio.gather" };
    case "no-run":
    case "run-not-found":
      return { title: "Train", command: "deepfakeStudio.train" };
    case "train-settings-invalid":
      return { title: "Open settings", command: "deepfakeStudio.openSettings" };
    case "export-invalid":
      return { title: "Export Model", command: "deepfakeStudio.export" };
    case "untrusted":
      return { title: "Manage Workspace Trust", command: "workbench.trust.manage" };
    default:
      return SHOW_LOG;
  }
}

/** Logs the error in full and shows it as a message with an action button; cancellations are a quiet note. */
export async function reportError(error: unknown, log: StudioLog, what: string): Promise<void> {
  const studio = asStudioError(error);
  if (studio?.code === "cancelled" || (error instanceof Error && error.name === "AbortError")) {
    log.info(`${what}: cancelled.`);
    void vscode.window.showInformationMessage(`${what} was cancelled. Finished files were kept; running it again resumes.`);
    return;
  }
  if (studio) {
    log.error(`${what} failed: ${studio.message}${studio.hint ? ` — ${studio.hint}` : ""} [${studio.code}]`);
  } else {
    log.error(`${what} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
  const message = studio ? `${studio.message}${studio.hint ? ` ${studio.hint}` : ""}` : `${what} failed: ${firstLine(error)}`;
  const primary = actionFor(studio?.code ?? "");
  const buttons = primary === SHOW_LOG ? [SHOW_LOG] : [primary, SHOW_LOG];
  const picked = await vscode.window.showErrorMessage(message, ...buttons.map((button) => button.title));
  const action = buttons.find((button) => button.title === picked);
  if (action) await vscode.commands.executeCommand(action.command);
}

/** The first line of an unexpected error's message (no stack). */
function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0].slice(0, 300);
}

/** An error the glue itself raises (no project open, untrusted workspace), shaped like core's StudioError. */
export class GlueError extends Error {
  constructor(message: string, readonly code: string, readonly hint?: string) {
    super(message);
    this.name = "GlueError";
  }
}

/** Throws unless the workspace is trusted: in Restricted Mode only read-only commands run. */
export function requireTrust(what: string): void {
  if (!vscode.workspace.isTrusted) {
    throw new GlueError(`${what} is not available in Restricted Mode: it writes files or runs code from this folder.`, "untrusted", "Trust the workspace to use it.");
  }
}
