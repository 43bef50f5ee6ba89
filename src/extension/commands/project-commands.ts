/** New Project, Open Project File, Open Settings, Show Log. */
import * as path from "node:path";
import * as vscode from "vscode";
import { loadCore } from "../core";
import { reportError, requireTrust } from "../errors";
import { stepCommand } from "../next-steps";
import { findProjectDirs, openProject, pickProjectDir, PROJECT_FILE } from "../project";
import { effectiveProjectSettings, SECTION } from "../settings";
import type { Studio } from "../studio";
import { runPicked } from "./gather-commands";

/** Writes deepfake-studio.json (the settings seed it) into the workspace folder, or a folder the user picks. */
export async function newProject(studio: Studio): Promise<void> {
  try {
    requireTrust("New Project");
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri ?? (await pickFolder());
    if (!folder) return;
    const core = await loadCore();
    const config = core.parseProjectConfig(seedFromSettings(), "settings (deepfakeStudio.*)");
    const file = await core.initProject({ projectDir: folder.fsPath, config });
    studio.log.info(`New project: wrote ${file}`);
    studio.refreshViews();
    if (!vscode.workspace.getWorkspaceFolder(folder)) {
      await vscode.commands.executeCommand("vscode.openFolder", folder);
      return;
    }
    await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: false });
    // Searching is one way to fill the categories; a folder of one's own photos is the other.
    const commands = [stepCommand({ step: "gather" }), stepCommand({ step: "import" })];
    const next = await vscode.window.showInformationMessage(`Created ${PROJECT_FILE} with ${config.categories.length} categories. Next: gather images from a search, or import a folder of your own photos.`, ...commands.map((command) => command.title));
    await runPicked(commands, next);
  } catch (error) {
    await reportError(error, studio.log, "New Project");
  }
}

/** The project file fields New Project takes from the settings. */
function seedFromSettings(): Record<string, unknown> {
  const settings = effectiveProjectSettings();
  const train: Record<string, unknown> = { validPct: settings["train.validPct"], seed: settings["train.seed"], epochs: settings["train.epochs"] };
  if (typeof settings["train.backbone"] === "string" && settings["train.backbone"].trim() !== "") train.backbone = settings["train.backbone"];
  return { categories: settings.categories, maxImages: settings.maxImages, resizeMax: settings.resizeMax, faceCrop: settings.faceCrop === true, train };
}

async function pickFolder(): Promise<vscode.Uri | undefined> {
  const picked = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: "Create project here", title: "Deepfake Studio: folder for the new project" });
  return picked?.[0];
}

/** Opens deepfake-studio.json in an editor. */
export async function openProjectFile(studio: Studio): Promise<void> {
  try {
    const projectDir = await pickProjectDir();
    await vscode.window.showTextDocument(vscode.Uri.file(path.join(projectDir, PROJECT_FILE)));
  } catch (error) {
    await reportError(error, studio.log, "Open Project File");
  }
}

/**
 * Asks which category holds the manipulated pictures and writes it as fakeLabel into the project file (what
 * --fake-label says on the command line): for labels that do not say it alone, e.g. two containing "fake".
 */
export async function chooseFakeLabel(studio: Studio): Promise<void> {
  try {
    requireTrust("Choose Fake Label");
    const { projectDir, config } = await openProject();
    const picked = await vscode.window.showQuickPick(
      config.categories.map((category) => ({ label: category.label, description: category.label === config.fakeLabel ? "current" : undefined })),
      { title: "Which category holds the manipulated pictures?", placeHolder: "Written as fakeLabel in deepfake-studio.json; training, Check and Evaluate read it", ignoreFocusOut: true },
    );
    if (!picked) return;
    await (await loadCore()).setFakeLabel({ projectDir, label: picked.label });
    studio.log.info(`fakeLabel set to "${picked.label}" in ${path.join(projectDir, PROJECT_FILE)}.`);
    void vscode.window.showInformationMessage(`“${picked.label}” is now the fake category (fakeLabel in ${PROJECT_FILE}). Run the step again.`);
  } catch (error) {
    await reportError(error, studio.log, "Choose Fake Label");
  }
}

/** Opens the settings UI on this extension's settings. */
export async function openSettings(): Promise<void> {
  await vscode.commands.executeCommand("workbench.action.openSettings", `@ext:${"deepfake-studio.deepfake-studio"} ${SECTION}`);
}

/** True when some workspace folder holds a project (for the context key the views' welcome content uses). */
export async function updateProjectContext(): Promise<void> {
  await vscode.commands.executeCommand("setContext", "deepfakeStudio.hasProject", (await findProjectDirs()).length > 0);
}
