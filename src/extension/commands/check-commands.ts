/** Check for Deepfake: core checkMedia on videos and images from the Explorer, results in the check panel. */
import * as path from "node:path";
import * as vscode from "vscode";
import type { CheckResult, MediaCheck } from "../../core/check/check-types";
import { CHECKABLE_EXTENSIONS } from "../../core/check/list-check-inputs";
import { checkReportsRoot } from "../check-reports";
import { loadCore, loadHeavyCore } from "../core";
import { reportError, requireTrust } from "../errors";
import { pickProjectDir } from "../project";
import { runTask } from "../run-task";
import { ffmpegPathSetting } from "../settings";
import type { Studio } from "../studio";
import { hintForVsCode, hintPartsOf } from "../next-steps";
import { CheckPanel } from "../webviews/check-panel";

/** Checks the clicked or selected files (or asks for some) with the project's export and opens a panel per file. */
export async function checkForDeepfake(studio: Studio, clicked?: vscode.Uri, selected?: vscode.Uri[]): Promise<void> {
  let projectDir: string;
  try {
    requireTrust("Check for Deepfake");
    projectDir = await pickProjectDir();
  } catch (error) {
    await reportError(error, studio.log, "Check for Deepfake");
    return;
  }
  const picked = selected && selected.length > 0 ? selected : clicked instanceof vscode.Uri ? [clicked] : await vscode.window.showOpenDialog({ canSelectMany: true, canSelectFolders: false, openLabel: "Check", filters: { "Videos and images": [...CHECKABLE_EXTENSIONS] } });
  const uris = (picked ?? []).filter((uri) => uri.scheme === "file");
  if (uris.length === 0) return;
  const reportRoot = checkReportsRoot(studio.context);
  const title = `Checking ${uris.length === 1 ? path.basename(uris[0].fsPath) : `${uris.length} files`} for deepfakes`;
  const results = await runTask(studio.log, title, async ({ signal, onProgress }) => {
    const { checkMedia, DEFAULT_EXPORT_FOLDER } = await loadHeavyCore();
    const projectFakeLabel = await (await loadCore()).readProjectFakeLabel(projectDir);
    // The reports live in VS Code's storage; checkMedia still refuses them inside the project's data, runs, export or Space folder.
    return checkMedia({ inputs: uris.map((uri) => uri.fsPath), projectDir, modelDir: path.join(projectDir, DEFAULT_EXPORT_FOLDER), outDir: reportRoot, projectFakeLabel, ffmpegPath: ffmpegPathSetting(), signal, onProgress });
  });
  if (!results) return;
  for (const result of results) {
    if (isError(result)) {
      // The hint as VS Code words it (its commands, no CLI flags).
      const parts = hintPartsOf(result);
      const hint = parts ? hintForVsCode(parts) : result.hint;
      studio.log.error(`${result.file}: ${result.error}${hint ? ` — ${hint}` : ""} [${result.code}]`);
      void vscode.window.showWarningMessage(`${path.basename(result.file)} could not be checked: ${result.error}${hint ? ` ${hint}` : ""}`);
      continue;
    }
    studio.log.info(`${result.file}: ${result.verdict.text}${result.report ? ` Report: ${result.report.markdown}` : ""}`);
    for (const warning of result.warnings) studio.log.warn(`${result.file}: ${warning}`);
    CheckPanel.show(studio.extensionUri, studio.log, result);
  }
}

function isError(result: CheckResult): result is Exclude<CheckResult, MediaCheck> {
  return "error" in result;
}
