/** `runs`: the finished runs of a project, oldest first, with what a person scans for (date, epochs, error rate). */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { describeFsError } from "../shared/errors";
import type { RunMetrics } from "./run-files";
import { RUNS_FOLDER_NAME } from "./write-run";

/** One row of the listing. */
export interface RunSummary {
  runId: string;
  runDir: string;
  createdAt?: string;
  epochs?: number;
  errorRate?: number;
  /** Images per split (all labels together). */
  train?: number;
  valid?: number;
  /** Set when metrics.json is missing or unreadable (the folder was edited or copied in by hand). */
  problem?: string;
}

/** Lists runs/<id>/ folders (temp folders of runs in progress are not runs). */
export async function listRuns(params: { projectDir: string }): Promise<RunSummary[]> {
  const runsDir = path.join(params.projectDir, RUNS_FOLDER_NAME);
  let entries: import("node:fs").Dirent[];
  try {
    entries = await fs.readdir(runsDir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw describeFsError(error, runsDir);
  }
  const ids = entries.filter((entry) => entry.isDirectory() && !entry.name.startsWith(".")).map((entry) => entry.name).sort();
  return Promise.all(ids.map(async (runId) => {
    const runDir = path.join(runsDir, runId);
    try {
      const metrics = JSON.parse(await fs.readFile(path.join(runDir, "metrics.json"), "utf8")) as RunMetrics;
      const total = (counts: Record<string, number> | undefined) => Object.values(counts ?? {}).reduce((sum, n) => sum + n, 0);
      return { runId, runDir, createdAt: metrics.createdAt, epochs: metrics.epochs?.length, errorRate: metrics.errorRate, train: total(metrics.counts?.train), valid: total(metrics.counts?.valid) };
    } catch (error) {
      return { runId, runDir, problem: (error as NodeJS.ErrnoException).code === "ENOENT" ? "no metrics.json" : "unreadable metrics.json" };
    }
  }));
}
