/** The extension's settings (contributes.configuration) as a plain object; the project file always wins over them. */
import * as vscode from "vscode";

export const SECTION = "deepfakeStudio";

/** Settings that map onto fields of deepfake-studio.json, by their path in the file. */
const PROJECT_FIELDS = ["categories", "maxImages", "resizeMax", "faceCrop", "train.validPct", "train.seed", "train.epochs", "train.backbone"] as const;
type ProjectField = (typeof PROJECT_FIELDS)[number];

export { fillFromSettings } from "./fill-from-settings";

/** The settings the user (or the workspace) set explicitly, keyed by project-file path; defaults are left out. */
export function explicitProjectSettings(): Partial<Record<ProjectField, unknown>> {
  const configuration = vscode.workspace.getConfiguration(SECTION);
  const values: Partial<Record<ProjectField, unknown>> = {};
  for (const field of PROJECT_FIELDS) {
    const inspected = configuration.inspect(field);
    const value = inspected?.workspaceFolderValue ?? inspected?.workspaceValue ?? inspected?.globalValue;
    if (value !== undefined && value !== "") values[field] = value;
  }
  return values;
}

/** Every project-file setting with its effective value (defaults included): what New Project writes. */
export function effectiveProjectSettings(): Record<ProjectField, unknown> {
  const configuration = vscode.workspace.getConfiguration(SECTION);
  const values = {} as Record<ProjectField, unknown>;
  for (const field of PROJECT_FIELDS) values[field] = configuration.get(field);
  return values;
}

/** Space defaults: which SDK Create Space uses and which hub account Deploy proposes. */
export function spaceSettings(): { sdk: "static" | "gradio"; owner: string; private: boolean } {
  const configuration = vscode.workspace.getConfiguration(SECTION);
  const sdk = configuration.get<string>("space.sdk") === "gradio" ? "gradio" : "static";
  return { sdk, owner: configuration.get<string>("space.owner")?.trim() ?? "", private: configuration.get<boolean>("space.private") ?? false };
}

/** The ffmpeg program the user chose for Check for Deepfake; undefined leaves the choice to the core (variable, bundled copy, PATH). */
export function ffmpegPathSetting(): string | undefined {
  return vscode.workspace.getConfiguration(SECTION).get<string>("check.ffmpegPath")?.trim() || undefined;
}
