/** The cleaner's input, as fastai's ImageClassifierCleaner builds it: a run's images per label and split, worst loss first. */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { findRun } from "../export/find-run";
import { resolveDataDir, type ProjectConfig } from "../project/project-config";
import { describeFsError } from "../shared/errors";
import type { RunPrediction } from "../train/run-files";

export interface TopLossesParams {
  projectDir: string;
  config: ProjectConfig;
  /** Default: the latest run. */
  runId?: string;
  label?: string;
  split?: RunPrediction["split"];
}

/** Predictions of a run filtered by label and split, sorted by loss (highest first), minus files no longer in the dataset. */
export async function listTopLosses(params: TopLossesParams): Promise<{ runId: string; items: RunPrediction[] }> {
  const { runId, runDir } = await findRun({ projectDir: params.projectDir, runId: params.runId });
  const file = path.join(runDir, "predictions.json");
  let predictions: RunPrediction[];
  try {
    predictions = JSON.parse(await fs.readFile(file, "utf8")) as RunPrediction[];
  } catch (error) {
    throw describeFsError(error, file);
  }
  const dataDir = resolveDataDir(params.projectDir, params.config);
  const selected = predictions.filter((item) => (!params.label || item.label === params.label) && (!params.split || item.split === params.split));
  const present = await Promise.all(selected.map((item) => fs.access(path.join(dataDir, item.file)).then(() => true, () => false)));
  const items = selected.filter((_, index) => present[index]).sort((a, b) => b.loss - a.loss);
  return { runId, items };
}
