/**
 * Writes a run folder all at once: the files go into runs/.tmp-<id>/ and the folder is renamed to runs/<id>/
 * only when complete, so a cancelled or crashed run never leaves a half-written run behind.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { describeFsError, throwIfAborted } from "../shared/errors";
import { removeStaleTemps } from "../shared/stale-temps";

/** Folder of the runs inside a project. */
export const RUNS_FOLDER_NAME = "runs";
const TEMP_PREFIX = ".tmp-";

/** Writes `files` (name → JSON value) as runs/<runId>/ and returns that folder; nothing is left when it fails. */
export async function writeRun(params: { projectDir: string; runId: string; files: Record<string, unknown>; signal?: AbortSignal }): Promise<string> {
  const run = await createRunTemp(params);
  return finishRun({ ...run, files: params.files, signal: params.signal });
}

/** A run being assembled: files go into `temp`, which finishRun renames to `runDir`. */
export interface RunTemp {
  temp: string;
  runDir: string;
}

/** Creates runs/.tmp-<runId>/ (an engine that writes big files, such as model.onnx, writes them there first). */
export async function createRunTemp(params: { projectDir: string; runId: string }): Promise<RunTemp> {
  const runsDir = path.join(params.projectDir, RUNS_FOLDER_NAME);
  const runDir = path.join(runsDir, params.runId);
  const temp = path.join(runsDir, `${TEMP_PREFIX}${params.runId}`);
  try {
    await fs.mkdir(runsDir, { recursive: true });
    // Named after the run, not the process: such a temp counts as a leftover once it is an hour old.
    await removeStaleTemps(runsDir, TEMP_PREFIX);
    await fs.mkdir(temp);
    return { temp, runDir };
  } catch (error) {
    throw describeFsError(error, runDir);
  }
}

/** Adds the JSON `files` to the temp folder and renames it to the run folder; the temp folder is removed on failure. */
export async function finishRun(params: RunTemp & { files: Record<string, unknown>; signal?: AbortSignal }): Promise<string> {
  const { temp, runDir } = params;
  try {
    for (const [name, value] of Object.entries(params.files)) {
      throwIfAborted(params.signal, "training");
      await fs.writeFile(path.join(temp, name), `${JSON.stringify(value, null, 2)}\n`);
    }
    throwIfAborted(params.signal, "training");
    await fs.rename(temp, runDir);
    return runDir;
  } catch (error) {
    await fs.rm(temp, { recursive: true, force: true });
    throw describeFsError(error, runDir);
  }
}
