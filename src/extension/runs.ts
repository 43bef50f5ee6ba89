/** Reads what a training run left in runs/<id>/ (the contract in core/train/run-files.ts) for the views. */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import type { RunMetrics, RunPrediction } from "../core/train/run-files";
import { loadCore } from "./core";

export interface RunSummary {
  runId: string;
  runDir: string;
  metrics?: RunMetrics;
}

/** Every finished run, newest first, with its metrics when readable. */
export async function listRuns(projectDir: string): Promise<RunSummary[]> {
  const { findRun, RUNS_FOLDER_NAME } = await loadCore();
  let available: string[];
  try {
    ({ available } = await findRun({ projectDir }));
  } catch {
    return [];
  }
  const runs = await Promise.all(available.map(async (runId) => {
    const runDir = path.join(projectDir, RUNS_FOLDER_NAME, runId);
    return { runId, runDir, metrics: await readMetrics(runDir) };
  }));
  return runs.reverse();
}

/** runs/<id>/metrics.json, or undefined when missing or malformed. */
export async function readMetrics(runDir: string): Promise<RunMetrics | undefined> {
  const raw = await readJson(path.join(runDir, "metrics.json"));
  if (typeof raw !== "object" || raw === null) return undefined;
  const metrics = raw as Partial<RunMetrics>;
  if (!Array.isArray(metrics.epochs) || typeof metrics.errorRate !== "number") return undefined;
  return metrics as RunMetrics;
}

/** runs/<id>/predictions.json, keeping only well-formed entries whose file is <label folder>/<name>. */
export async function readPredictions(runDir: string): Promise<RunPrediction[]> {
  const raw = await readJson(path.join(runDir, "predictions.json"));
  if (!Array.isArray(raw)) return [];
  return raw.filter(isPrediction);
}

function isPrediction(value: unknown): value is RunPrediction {
  if (typeof value !== "object" || value === null) return false;
  const entry = value as Record<string, unknown>;
  return (
    typeof entry.file === "string" &&
    /^[^/\\.][^/\\]*\/[^/\\.][^/\\]*$/.test(entry.file) &&
    (entry.split === "train" || entry.split === "valid") &&
    typeof entry.label === "string" &&
    typeof entry.predicted === "string" &&
    typeof entry.loss === "number" &&
    typeof entry.probabilities === "object" &&
    entry.probabilities !== null
  );
}

async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await fs.readFile(file, "utf8"));
  } catch {
    return undefined;
  }
}
