/** Picks the training run to export: the latest one in runs/, or the one the user names. */
import { promises as fs, type Dirent } from "node:fs";
import * as path from "node:path";
import { describeFsError } from "../shared/errors";
import { RUNS_FOLDER_NAME } from "../train/write-run";
import { ExportError } from "./export-errors";

// The trainer owns the runs/ folder name; re-exported for the callers that only look runs up.
export { RUNS_FOLDER_NAME };

/** The run found, and every run there is (oldest first) for messages. */
export interface FoundRun {
  runId: string;
  runDir: string;
  available: string[];
}

/** Finds runs/<runId> (default: the last run id in sort order); throws ExportError listing the runs that exist. */
export async function findRun(params: { projectDir: string; runId?: string }): Promise<FoundRun> {
  const runsDir = path.join(params.projectDir, RUNS_FOLDER_NAME);
  const available = await listRunIds(runsDir);
  const requested = params.runId?.trim();
  if (available.length === 0) {
    const detail = requested ? ` so there is no run "${requested}"` : "";
    throw new ExportError(`There is no training run in ${runsDir} yet,${detail}.`, "no-run", ["Run ", { step: "train" }, " first, then export."]);
  }
  if (requested === undefined || requested === "") {
    const runId = available[available.length - 1];
    return { runId, runDir: path.join(runsDir, runId), available };
  }
  if (!available.includes(requested)) {
    throw new ExportError(`There is no run "${requested}" in ${runsDir}.`, "run-not-found", `Available runs: ${available.join(", ")} (the last one is the default).`);
  }
  return { runId: requested, runDir: path.join(runsDir, requested), available };
}

/** Run folders, sorted by id so that date-like ids come out oldest first ("run-9" before "run-10" too). */
async function listRunIds(runsDir: string): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await fs.readdir(runsDir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw describeFsError(error, runsDir);
  }
  // Dot-folders are runs still being assembled (or left by a killed trainer): never complete, never exported.
  return entries
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith("."))
    .map((entry) => entry.name)
    .sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
}
