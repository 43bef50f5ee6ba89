/** Shows failures as messages with an action button; stack traces go to the log only, never to a message. */
import * as vscode from "vscode";
import type { StudioLog } from "./log";
import { hintCommands, hintForVsCode, hintPartsOf, isTransientCode, type StepCommand } from "./next-steps";

/** The shape of core's StudioError (checked by shape: the core is loaded lazily, possibly from another bundle). */
export interface StudioErrorLike {
  message: string;
  code: string;
  /** Phrased for VS Code when the core gave its parts (commands by palette title), else the core's text. */
  hint?: string;
  /** The commands the hint names, for buttons. */
  steps: StepCommand[];
}

/** The StudioError behind `error`, if it is one. */
export function asStudioError(error: unknown): StudioErrorLike | undefined {
  if (!(error instanceof Error)) return undefined;
  const { code, hint, hintParts } = error as Error & { code?: unknown; hint?: unknown; hintParts?: unknown };
  if (typeof code !== "string" || !/^[a-z][a-z0-9-]*$/.test(code)) return undefined;
  // A hint without parts may still quote a step's command line (`deepfake-studio train --lr-find`).
  const parts = hintPartsOf({ hint, hintParts });
  if (parts) return { message: error.message, code, hint: hintForVsCode(parts), steps: hintCommands(parts) };
  return { message: error.message, code, hint: typeof hint === "string" ? hint : undefined, steps: [] };
}

/** A button under an error message and the command it runs. */
export interface ErrorAction {
  title: string;
  command: string;
  args?: unknown[];
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

/** What a step offers when it fails: `retry` (e.g. Deploy Again) leads the buttons when the failure is transient. */
export interface ReportOptions {
  retry?: ErrorAction;
}

/** Logs the error in full and shows it as a message with an action button; cancellations are a quiet note. */
export async function reportError(error: unknown, log: StudioLog, what: string, options: ReportOptions = {}): Promise<void> {
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
  // The steps the hint names are the buttons (Gather Images and Import Folder…); else the code's usual action.
  const named = (studio?.steps ?? []).flatMap((step): ErrorAction[] => (step.command ? [{ title: step.title, command: step.command, args: step.args }] : []));
  const primary = named.length > 0 ? named : [actionFor(studio?.code ?? "")].filter((action) => action !== SHOW_LOG);
  // The retry does what a hint's "run deploy again" says, with the same name and kind: it replaces that step's button.
  const retry = options.retry && isTransientCode(studio?.code) ? options.retry : undefined;
  const buttons = retry ? [retry, ...primary.filter((action) => action.command !== retry.command), SHOW_LOG] : [...primary, SHOW_LOG];
  const picked = await vscode.window.showErrorMessage(message, ...buttons.map((button) => button.title));
  const action = buttons.find((button) => button.title === picked);
  if (action) await vscode.commands.executeCommand(action.command, ...(action.args ?? []));
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
