/**
 * Where Check for Deepfake writes its reports (the extension's storage, never the user's folders), and reading one
 * back for a restored panel. The paths come from webview state, so nothing is trusted: the report must sit in that
 * folder (symlinks resolved), belong to the checked file, parse, and hold every field the panel draws.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import type * as vscode from "vscode";
import type { CheckReportFiles, MediaCheck } from "../core/check/check-types";
import { isCheckView, type CheckPanelState } from "../shared/check-protocol";
import { checkViewOf } from "./webviews/check-view";

/** The report file's name in each report folder (core writeCheckReport's REPORT_JSON). */
const REPORT_JSON = "report.json";
/** Far above a real report (an hour at 2 fps is a few MB): a bigger file is not ours. */
const MAX_REPORT_BYTES = 64 * 1024 * 1024;

/** `<workspace storage>/check-reports` (global storage without a workspace). */
export function checkReportsRoot(context: vscode.ExtensionContext): string {
  return path.join((context.storageUri ?? context.globalStorageUri).fsPath, "check-reports");
}

/** A saved check read back, or why it cannot be shown. */
export type SavedCheck = { check: MediaCheck } | { reason: string };

/** Reads `state.reportJson` when it is a report of `state.file` inside `reportsRoot`. */
export async function readSavedCheck(params: { state: CheckPanelState; reportsRoot: string }): Promise<SavedCheck> {
  const { state, reportsRoot } = params;
  const notOurs = { reason: "Its saved report is not one of Deepfake Studio's check reports, so it was not opened." };
  if (!path.isAbsolute(state.file) || !path.isAbsolute(state.reportJson) || path.basename(state.reportJson) !== REPORT_JSON) return notOurs;
  const [root, reportJson] = await Promise.all([fs.realpath(reportsRoot).catch(() => undefined), fs.realpath(state.reportJson).catch(() => undefined)]);
  if (!root || !reportJson) return { reason: "Its saved report is gone (reports live in VS Code's storage for this workspace, which may have been cleared)." };
  // Exactly <root>/<report folder>/report.json, as checkMedia writes it.
  const inside = path.relative(root, reportJson).split(path.sep);
  if (inside.length !== 2 || inside[0] === ".." || path.isAbsolute(inside[0])) return notOurs;
  let check: unknown;
  try {
    const stat = await fs.stat(reportJson);
    if (!stat.isFile() || stat.size > MAX_REPORT_BYTES) return notOurs;
    check = JSON.parse(await fs.readFile(reportJson, "utf8"));
  } catch (error) {
    return { reason: `Its saved report could not be read (${error instanceof Error ? error.message : String(error)}).` };
  }
  return isReportOf(check, state.file, path.dirname(state.reportJson)) ? { check } : { reason: "Its saved report is damaged or from another version of Deepfake Studio." };
}

/** True when `value` is the check of `file` written to `dir`, with everything the panel reads. */
function isReportOf(value: unknown, file: string, dir: string): value is MediaCheck {
  if (typeof value !== "object" || value === null) return false;
  const check = value as MediaCheck;
  const report = check.report as Partial<CheckReportFiles> | undefined;
  if (check.file !== file || typeof report !== "object" || report === null) return false;
  if (report.dir !== dir || report.json !== path.join(dir, REPORT_JSON) || typeof report.markdown !== "string" || path.dirname(report.markdown) !== dir) return false;
  try {
    // The panel may load the worst frames: only from the report's own folder.
    if (!check.summary.worst.every((moment) => moment.image === undefined || (typeof moment.image === "string" && path.dirname(moment.image) === dir))) return false;
    return isCheckView(checkViewOf(check, (name) => name));
  } catch {
    // A missing nested field (summary, verdict, model…) throws while the view is built.
    return false;
  }
}
